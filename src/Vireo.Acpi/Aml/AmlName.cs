namespace Vireo.Acpi;

/// <summary>Name (path, value) (ACPI 6.5 §20.2.5.1 DefName).</summary>
public sealed class AmlName : IAml
{
    /// <summary>
    /// Name (<paramref name="path"/>, <paramref name="value"/>): a named data object such as _HID
    /// or _CRS.
    /// </summary>
    public AmlName(AmlPath path, IAml value)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(value);
        Path = path;
        Value = value;
    }

    /// <summary>The object's name.</summary>
    public AmlPath Path { get; }

    /// <summary>The object's value (an integer, string, buffer or package).</summary>
    public IAml Value { get; }

    /// <inheritdoc/>
    public void AppendTo(AmlSink sink)
    {
        sink.Byte(AmlOpcode.Name);
        Path.AppendTo(sink);
        Value.AppendTo(sink);
    }
}
