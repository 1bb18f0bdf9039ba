namespace Vireo.Acpi;

/// <summary>Device (path) { terms } (ACPI 6.5 §20.2.5.2 DefDevice).</summary>
public sealed class AmlDevice : IAml
{
    private readonly IAml[] _children;

    public AmlDevice(AmlPath path, params IEnumerable<IAml> children)
    {
        ArgumentNullException.ThrowIfNull(path);
        Path = path;
        _children = children.ToArray();
    }

    public AmlPath Path { get; }

    public IReadOnlyList<IAml> Children => _children;

    public void AppendTo(AmlSink sink) => sink.Package([AmlOpcode.ExtPrefix, AmlOpcode.ExtDevice], body =>
    {
        Path.AppendTo(body);
        body.Append(_children);
    });
}
