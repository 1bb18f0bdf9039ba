namespace Vireo.Acpi;

/// <summary>Extended System Description Table (ACPI 6.5 §5.2.8): header plus 64-bit table addresses.</summary>
internal sealed class Xsdt : IAcpiTable
{
    public const byte Revision = 1;

    private readonly ulong[] _entries;

    public Xsdt(params IEnumerable<ulong> entries)
    {
        _entries = entries.ToArray();
    }

    public string Signature => "XSDT";

    public AcpiOem Oem { get; init; } = AcpiOem.Vireo;

    public IReadOnlyList<ulong> Entries => _entries;

    public static int LengthFor(int entryCount) => AcpiTableWriter.HeaderLength + (8 * entryCount);

    public byte[] ToBytes()
    {
        var writer = new AcpiTableWriter(Signature, Revision, Oem);
        foreach (ulong entry in _entries)
        {
            writer.QWord(entry);
        }
        return writer.Finish();
    }
}
