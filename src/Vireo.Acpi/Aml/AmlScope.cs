namespace Vireo.Acpi;

/// <summary>Scope (path) { terms } (ACPI 6.5 §20.2.5.1 DefScope).</summary>
public sealed class AmlScope : IAml
{
    private readonly IAml[] _children;

    public AmlScope(AmlPath path, params IEnumerable<IAml> children)
    {
        ArgumentNullException.ThrowIfNull(path);
        Path = path;
        _children = children.ToArray();
    }

    public AmlPath Path { get; }

    public IReadOnlyList<IAml> Children => _children;

    public void AppendTo(AmlSink sink) => sink.Package([AmlOpcode.Scope], body =>
    {
        Path.AppendTo(body);
        body.Append(_children);
    });
}
