namespace Vireo.Acpi;

/// <summary>PCI Express memory-mapped configuration table "MCFG", revision 1 (listed in ACPI 6.5
/// §5.2.6 Table 5.6; defined by the PCI Firmware Specification 3.2 §4.1.2).</summary>
internal sealed class Mcfg : IAcpiTable
{
    public const byte Revision = 1;

    private readonly McfgAllocation[] _allocations;

    public Mcfg(params IEnumerable<McfgAllocation> allocations)
    {
        _allocations = allocations.ToArray();
        if (_allocations.Any(a => a.StartBus > a.EndBus))
        {
            throw new ArgumentException("an MCFG allocation needs StartBus <= EndBus", nameof(allocations));
        }
    }

    public string Signature => "MCFG";

    public AcpiOem Oem { get; init; } = AcpiOem.Vireo;

    public IReadOnlyList<McfgAllocation> Allocations => _allocations;

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
