namespace Vireo.Acpi;

/// <summary>A table whose body is AML (ACPI 6.5 §5.2.11): the DSDT and SSDTs differ only in
/// their signature. Revision 2, so integers are 64 bits.</summary>
public abstract class DefinitionBlock : IAcpiTable
{
    /// <summary>Compliance revision 2: 64-bit AML integers (ACPI 6.5 §5.2.11.1).</summary>
    public const byte Revision = 2;

    private readonly IAml[] _body;

    /// <summary>
    /// A table named <paramref name="signature"/> whose AML body is <paramref name="body"/>.
    /// </summary>
    protected DefinitionBlock(string signature, IEnumerable<IAml> body)
    {
        Signature = signature;
        _body = body.ToArray();
    }

    /// <inheritdoc/>
    public string Signature { get; }

    /// <summary>The identity written in the table header.</summary>
    public AcpiOem Oem { get; init; } = AcpiOem.Vireo;

    /// <summary>The AML terms of the table body, in order.</summary>
    public IReadOnlyList<IAml> Body => _body;

    /// <inheritdoc/>
    public byte[] ToBytes()
    {
        var writer = new AcpiTableWriter(Signature, Revision, Oem);
        writer.Body.Append(_body);
        return writer.Finish();
    }
}
