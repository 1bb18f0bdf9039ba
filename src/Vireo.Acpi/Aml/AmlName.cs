namespace Vireo.Acpi;

/// <summary>Name (path, value) (ACPI 6.5 §20.2.5.1 DefName).</summary>
public sealed class AmlName : IAml
{
    public AmlName(AmlPath path, IAml value)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(value);
        Path = path;
        Value = value;
    }

    public AmlPath Path { get; }

    public IAml Value { get; }

    public void AppendTo(AmlSink sink)
    {
        sink.Byte(AmlOpcode.Name);
        Path.AppendTo(sink);
        Value.AppendTo(sink);
    }
}
