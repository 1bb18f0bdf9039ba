namespace Vireo.Acpi;

/// <summary>Notify (object, value) (ACPI 6.5 §20.2.5.3 DefNotify; values in §5.6.6).</summary>
public sealed class AmlNotify : IAml
{
    /// <summary>
    /// Notify (<paramref name="target"/>, <paramref name="value"/>), e.g. 0x80 on the power button
    /// device.
    /// </summary>
    public AmlNotify(IAml target, IAml value)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(value);
        Target = target;
        Value = value;
    }

    /// <summary>The object notified (a device, processor or thermal zone).</summary>
    public IAml Target { get; }

    /// <summary>The notification value (ACPI 6.5 §5.6.6, Table 5.166).</summary>
    public IAml Value { get; }

    /// <inheritdoc/>
    public void AppendTo(AmlSink sink)
    {
        sink.Byte(AmlOpcode.Notify);
        Target.AppendTo(sink);
        Value.AppendTo(sink);
    }
}
