namespace Vireo.Acpi;

/// <summary>VarPackage (count) { elements } (ACPI 6.5 §20.2.5.4 DefVarPackage): the element
/// count is a TermArg, here the integer count of the given elements.</summary>
internal sealed class AmlVarPackage : IAml
{
    private readonly IAml[] _elements;

    public AmlVarPackage(params IEnumerable<IAml> elements)
    {
        _elements = elements.ToArray();
    }

    public IReadOnlyList<IAml> Elements => _elements;

    public void AppendTo(AmlSink sink) => sink.Package([AmlOpcode.VarPackage], body =>
    {
        new AmlInteger((ulong)_elements.Length).AppendTo(body);
        body.Append(_elements);
    });
}
