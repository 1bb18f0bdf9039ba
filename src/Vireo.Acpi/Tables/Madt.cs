namespace Vireo.Acpi;

/// <summary>Multiple APIC Description Table, revision 6 (ACPI 6.5 §5.2.12, Table 5.19).</summary>
public sealed class Madt : IAcpiTable
{
    /// <summary>The MADT revision (ACPI 6.5 Table 5.19).</summary>
    public const byte Revision = 6;

    /// <summary>The architectural local APIC base.</summary>
    public const uint DefaultLocalApicAddress = 0xFEE0_0000;

    // APIC ID 0xFF is the xAPIC broadcast ID, so IDs from 255 up need x2APIC structures (§5.2.12.12).
    private const uint MaxXApicId = 254;

    private readonly MadtEntry[] _entries;

    /// <summary>A MADT listing <paramref name="entries"/> in order.</summary>
    public Madt(params IEnumerable<MadtEntry> entries)
    {
        _entries = entries.ToArray();
    }

    /// <inheritdoc/>
    public string Signature => "APIC";

    /// <summary>The physical address of the local APIC, as each processor sees it.</summary>
    public uint LocalApicAddress { get; init; } = DefaultLocalApicAddress;

    /// <summary>PCAT_COMPAT (Table 5.20): the platform also has dual 8259 PICs, which the OS must mask.</summary>
    public bool PcAtCompatible { get; init; } = true;

    /// <summary>The identity written in the table header.</summary>
    public AcpiOem Oem { get; init; } = AcpiOem.Vireo;

    /// <summary>The interrupt controller structures, in order.</summary>
    public IReadOnlyList<MadtEntry> Entries => _entries;

    /// <summary>One enabled processor structure per vCPU, with APIC ID and UID equal to the vCPU
    /// index: local APIC structures below ID 255, x2APIC structures from there on, and the
    /// matching "all processors, LINT1" NMI structures.</summary>
    public static IReadOnlyList<MadtEntry> Processors(int vcpuCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(vcpuCount);
        var entries = new List<MadtEntry>(vcpuCount + 2);
        for (int i = 0; i < vcpuCount; i++)
        {
            entries.Add(i <= MaxXApicId ? new MadtLocalApic((byte)i, (byte)i) : new MadtLocalX2Apic((uint)i, (uint)i));
        }
        entries.Add(new MadtLocalApicNmi());
        if (vcpuCount > MaxXApicId + 1)
        {
            entries.Add(new MadtLocalX2ApicNmi());
        }
        return entries;
    }

    /// <inheritdoc/>
    public byte[] ToBytes()
    {
        var writer = new AcpiTableWriter(Signature, Revision, Oem);
        writer.DWord(LocalApicAddress);
        writer.DWord(PcAtCompatible ? 1u : 0);
        foreach (MadtEntry entry in _entries)
        {
            entry.WriteTo(writer);
        }
        return writer.Finish();
    }
}
