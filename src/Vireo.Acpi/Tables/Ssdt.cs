namespace Vireo.Acpi;

/// <summary>Secondary System Description Table (ACPI 6.5 §5.2.11.2): a definition block loaded
/// after the DSDT.</summary>
public sealed class Ssdt : IAcpiTable
{
    public const byte Revision = 2;

    private readonly IAml[] _body;

    public Ssdt(params IEnumerable<IAml> body)
    {
        _body = body.ToArray();
    }

    public string Signature => "SSDT";

    public AcpiOem Oem { get; init; } = AcpiOem.Vireo;

    public IReadOnlyList<IAml> Body => _body;

    public byte[] ToBytes()
    {
        var writer = new AcpiTableWriter(Signature, Revision, Oem);
        writer.Body.Append(_body);
        return writer.Finish();
    }
}
