namespace Vireo.Acpi;

/// <summary>Differentiated System Description Table (ACPI 6.5 §5.2.11.1): header plus the
/// concatenated AML that devices contribute. Revision 2, so integers are 64 bits.</summary>
public sealed class Dsdt : IAcpiTable
{
    public const byte Revision = 2;

    private readonly IAml[] _body;

    public Dsdt(params IEnumerable<IAml> body)
    {
        _body = body.ToArray();
    }

    public string Signature => "DSDT";

    public AcpiOem Oem { get; init; } = AcpiOem.Vireo;

    public IReadOnlyList<IAml> Body => _body;

    public byte[] ToBytes()
    {
        var writer = new AcpiTableWriter(Signature, Revision, Oem);
        writer.Body.Append(_body);
        return writer.Finish();
    }
}
