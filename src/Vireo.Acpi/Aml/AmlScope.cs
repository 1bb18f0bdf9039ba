namespace Vireo.Acpi;

/// <summary>Scope (path) { terms } (ACPI 6.5 §20.2.5.1 DefScope).</summary>
public sealed class AmlScope : IAml
{
    private readonly IAml[] _children;

    /// <summary>
    /// Scope (<paramref name="path"/>) { <paramref name="children"/> }: opens an existing namespace
    /// node, e.g. <c>\_SB</c>.
    /// </summary>
    public AmlScope(AmlPath path, params IEnumerable<IAml> children)
    {
        ArgumentNullException.ThrowIfNull(path);
        Path = path;
        _children = children.ToArray();
    }

    /// <summary>The scope's name.</summary>
    public AmlPath Path { get; }

    /// <summary>The objects declared in the scope, in order.</summary>
    public IReadOnlyList<IAml> Children => _children;

    /// <inheritdoc/>
    public void AppendTo(AmlSink sink) => sink.Package([AmlOpcode.Scope], body =>
    {
        Path.AppendTo(body);
        body.Append(_children);
    });
}
