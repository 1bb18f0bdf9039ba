namespace Vireo.Acpi;

/// <summary>Notify (object, value) (ACPI 6.5 §20.2.5.3 DefNotify; values in §5.6.6).</summary>
public sealed class AmlNotify : IAml
{
    public AmlNotify(IAml target, IAml value)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(value);
        Target = target;
        Value = value;
    }

    public IAml Target { get; }

    public IAml Value { get; }

    public void AppendTo(AmlSink sink)
    {
        sink.Byte(AmlOpcode.Notify);
        Target.AppendTo(sink);
        Value.AppendTo(sink);
    }
}
