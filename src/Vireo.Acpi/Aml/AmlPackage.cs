namespace Vireo.Acpi;

/// <summary>Package () { elements } (ACPI 6.5 §20.2.5.4 DefPackage). NumElements is one byte,
/// so longer lists need <see cref="AmlVarPackage"/>.</summary>
public sealed class AmlPackage : IAml
{
    private readonly IAml[] _elements;

    /// <summary>
    /// Package () { <paramref name="elements"/> } with NumElements equal to the element count (at
    /// most 255).
    /// </summary>
    public AmlPackage(params IEnumerable<IAml> elements)
    {
        _elements = elements.ToArray();
        if (_elements.Length > byte.MaxValue)
        {
            throw new ArgumentException("Package holds at most 255 elements; use AmlVarPackage", nameof(elements));
        }
    }

    /// <summary>The elements, in order.</summary>
    public IReadOnlyList<IAml> Elements => _elements;

    /// <inheritdoc/>
    public void AppendTo(AmlSink sink) => sink.Package([AmlOpcode.Package], body =>
    {
        body.Byte((byte)_elements.Length);
        body.Append(_elements);
    });
}
