namespace Vireo.Acpi;

/// <summary>PCI Express memory-mapped configuration table "MCFG", revision 1 (listed in ACPI 6.5
/// §5.2.6 Table 5.6; defined by the PCI Firmware Specification 3.2 §4.1.2).</summary>
public sealed class Mcfg : IAcpiTable
{
    /// <summary>The table revision Linux and ACPICA expect.</summary>
    public const byte Revision = 1;

    private readonly McfgAllocation[] _allocations;

    /// <summary>An MCFG listing <paramref name="allocations"/>, one ECAM window each.</summary>
    /// <exception cref="ArgumentException">An allocation's StartBus is above its EndBus.</exception>
    public Mcfg(params IEnumerable<McfgAllocation> allocations)
    {
        _allocations = allocations.ToArray();
        if (_allocations.Any(a => a.StartBus > a.EndBus))
        {
            throw new ArgumentException("an MCFG allocation needs StartBus <= EndBus", nameof(allocations));
        }
    }

    /// <inheritdoc/>
    public string Signature => "MCFG";

    /// <summary>The OEM identity in the header.</summary>
    public AcpiOem Oem { get; init; } = AcpiOem.Vireo;

    /// <summary>The ECAM windows, in order.</summary>
    public IReadOnlyList<McfgAllocation> Allocations => _allocations;

    /// <inheritdoc/>
    public byte[] ToBytes()
    {
        var writer = new AcpiTableWriter(Signature, Revision, Oem);
        writer.Zeros(8); // reserved
        foreach (McfgAllocation a in _allocations)
        {
            writer.QWord(a.BaseAddress);
            writer.Word(a.Segment);
            writer.Byte(a.StartBus);
            writer.Byte(a.EndBus);
            writer.DWord(0); // reserved
        }
        return writer.Finish();
    }
}
