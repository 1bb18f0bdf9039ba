namespace Vireo.Acpi;

/// <summary>A table whose body is AML (ACPI 6.5 §5.2.11): the DSDT and SSDTs differ only in
/// their signature. Revision 2, so integers are 64 bits.</summary>
public abstract class DefinitionBlock : IAcpiTable
{
    public const byte Revision = 2;

    private readonly IAml[] _body;

    protected DefinitionBlock(string signature, IEnumerable<IAml> body)
    {
        Signature = signature;
        _body = body.ToArray();
    }

    public string Signature { get; }

    public AcpiOem Oem { get; init; } = AcpiOem.Vireo;

    public IReadOnlyList<IAml> Body => _body;

    public byte[] ToBytes()
    {
        var writer = new AcpiTableWriter(Signature, Revision, Oem);
        writer.Body.Append(_body);
        return writer.Finish();
    }
}
