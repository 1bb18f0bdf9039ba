namespace Vireo.Acpi;

/// <summary>Return (value) (ACPI 6.5 §20.2.5.3 DefReturn).</summary>
public sealed class AmlReturn : IAml
{
    public AmlReturn(IAml value)
    {
        ArgumentNullException.ThrowIfNull(value);
        Value = value;
    }

    public IAml Value { get; }

    public void AppendTo(AmlSink sink)
    {
        sink.Byte(AmlOpcode.Return);
        Value.AppendTo(sink);
    }
}
