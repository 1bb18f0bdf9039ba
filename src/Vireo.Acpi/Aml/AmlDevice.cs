namespace Vireo.Acpi;

/// <summary>Device (path) { terms } (ACPI 6.5 §20.2.5.2 DefDevice).</summary>
public sealed class AmlDevice : IAml
{
    private readonly IAml[] _children;

    /// <summary>
    /// Device (<paramref name="path"/>) { <paramref name="children"/> }: the children are its
    /// objects (_HID, _CRS, methods).
    /// </summary>
    public AmlDevice(AmlPath path, params IEnumerable<IAml> children)
    {
        ArgumentNullException.ThrowIfNull(path);
        Path = path;
        _children = children.ToArray();
    }

    /// <summary>The device's name, relative to the enclosing scope unless rooted.</summary>
    public AmlPath Path { get; }

    /// <summary>The objects declared inside the device, in order.</summary>
    public IReadOnlyList<IAml> Children => _children;

    /// <inheritdoc/>
    public void AppendTo(AmlSink sink) => sink.Package([AmlOpcode.ExtPrefix, AmlOpcode.ExtDevice], body =>
    {
        Path.AppendTo(body);
        body.Append(_children);
    });
}
