namespace Vireo.Acpi;

/// <summary>Return (value) (ACPI 6.5 §20.2.5.3 DefReturn).</summary>
public sealed class AmlReturn : IAml
{
    /// <summary>Return (<paramref name="value"/>).</summary>
    public AmlReturn(IAml value)
    {
        ArgumentNullException.ThrowIfNull(value);
        Value = value;
    }

    /// <summary>The value returned.</summary>
    public IAml Value { get; }

    /// <inheritdoc/>
    public void AppendTo(AmlSink sink)
    {
        sink.Byte(AmlOpcode.Return);
        Value.AppendTo(sink);
    }
}
