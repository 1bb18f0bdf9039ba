using System.Buffers.Binary;

namespace Vireo.Acpi;

/// <summary>Lays the tables out in guest physical memory and links them: RSDP → XSDT →
/// FADT and the other tables, FADT → FACS and DSDT (ACPI 6.5 §5.2.5-§5.2.9). The VMM copies
/// each <see cref="PlacedAcpiTable"/> to its address.</summary>
public sealed class AcpiTableSet
{
    // Tables other than the FACS only need natural alignment of their 64-bit fields.
    private const ulong TableAlignment = 8;

    // ACPI 6.5 §5.2.5.1: the RSDP sits on a 16-byte boundary.
    private const ulong RsdpAlignment = 16;

    private readonly IAcpiTable[] _others;

    /// <summary>
    /// The mandatory FADT, FACS and DSDT plus <paramref name="others"/> (MADT, MCFG, SSDTs…), which
    /// the XSDT lists in order; <paramref name="others"/> must not repeat FACP, FACS or DSDT nor
    /// contain an XSDT or RSDT.
    /// </summary>
    public AcpiTableSet(Fadt fadt, Facs facs, Dsdt dsdt, params IEnumerable<IAcpiTable> others)
    {
        ArgumentNullException.ThrowIfNull(fadt);
        ArgumentNullException.ThrowIfNull(facs);
        ArgumentNullException.ThrowIfNull(dsdt);
        Fadt = fadt;
        Facs = facs;
        Dsdt = dsdt;
        _others = others.ToArray();
        string[] reserved = ["FACP", "FACS", "DSDT", "XSDT", "RSDT"];
        if (_others.Any(t => reserved.Contains(t.Signature)))
        {
            throw new ArgumentException("FADT, FACS and DSDT are passed on their own; XSDT and RSDT are generated", nameof(others));
        }
    }

    /// <summary>The FADT, linked to the FACS and DSDT when placed.</summary>
    public Fadt Fadt { get; }

    /// <summary>The FACS.</summary>
    public Facs Facs { get; }

    /// <summary>The DSDT.</summary>
    public Dsdt Dsdt { get; }

    /// <summary>The tables listed in the XSDT after the FADT.</summary>
    public IReadOnlyList<IAcpiTable> Others => _others;

    /// <summary>The identity written in the generated RSDP and XSDT.</summary>
    public AcpiOem Oem { get; init; } = AcpiOem.Vireo;

    /// <summary>Places the RSDP at <paramref name="rsdpAddress"/> (16-byte aligned, e.g. in the
    /// 0xE0000-0xFFFFF BIOS area) and the tables upward from <paramref name="tablesAddress"/>,
    /// FACS first on its 64-byte boundary. Returned in address order.</summary>
    public IReadOnlyList<PlacedAcpiTable> Place(ulong rsdpAddress, ulong tablesAddress)
    {
        if (rsdpAddress % RsdpAlignment != 0)
        {
            throw new ArgumentException("the RSDP must be 16-byte aligned (ACPI 6.5 §5.2.5.1)", nameof(rsdpAddress));
        }

        var placed = new List<PlacedAcpiTable>();
        ulong next = tablesAddress;
        ulong Put(string signature, byte[] bytes, ulong alignment)
        {
            ulong address = AlignUp(next, alignment);
            next = checked(address + (ulong)bytes.Length);
            placed.Add(new PlacedAcpiTable(signature, address, bytes));
            return address;
        }

        ulong facs = Put(Facs.Signature, Facs.ToBytes(), Facs.Alignment);
        ulong dsdt = Put(Dsdt.Signature, Dsdt.ToBytes(), TableAlignment);
        ulong fadt = Put(Fadt.Signature, LinkFadt(Fadt.ToBytes(), facs, dsdt), TableAlignment);
        var xsdtEntries = new List<ulong> { fadt };
        foreach (IAcpiTable table in _others)
        {
            xsdtEntries.Add(Put(table.Signature, table.ToBytes(), TableAlignment));
        }
        ulong xsdt = Put("XSDT", new Xsdt(xsdtEntries) { Oem = Oem }.ToBytes(), TableAlignment);

        var rsdp = new PlacedAcpiTable("RSD PTR ", rsdpAddress, new Rsdp(xsdt, Oem.OemId).ToBytes());
        if (rsdpAddress < next && tablesAddress < rsdpAddress + Rsdp.Length)
        {
            throw new ArgumentException("the RSDP overlaps the tables", nameof(rsdpAddress));
        }
        placed.Add(rsdp);
        return placed.OrderBy(p => p.Address).ToArray();
    }

    /// <summary>Fills FIRMWARE_CTRL/DSDT and X_FIRMWARE_CTRL/X_DSDT. The 32-bit fields are
    /// set only when the address fits, and then equal the 64-bit ones, which ACPICA checks
    /// (tbfadt.c "32/64X address mismatch").</summary>
    private static byte[] LinkFadt(byte[] fadt, ulong facs, ulong dsdt)
    {
        Span<byte> span = fadt;
        if (facs <= uint.MaxValue)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(span[Fadt.FirmwareCtrlOffset..], (uint)facs);
        }
        if (dsdt <= uint.MaxValue)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(span[Fadt.DsdtOffset..], (uint)dsdt);
        }
        BinaryPrimitives.WriteUInt64LittleEndian(span[Fadt.XFirmwareCtrlOffset..], facs);
        BinaryPrimitives.WriteUInt64LittleEndian(span[Fadt.XDsdtOffset..], dsdt);
        AcpiChecksum.Update(span, AcpiTableWriter.ChecksumOffset);
        return fadt;
    }

    private static ulong AlignUp(ulong value, ulong alignment) => checked((value + alignment - 1) & ~(alignment - 1));
}
