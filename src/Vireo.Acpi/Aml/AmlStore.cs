namespace Vireo.Acpi;

/// <summary>Store (source, target), ASL+ <c>target = source</c> (ACPI 6.5 §20.2.5.4 DefStore).</summary>
public sealed class AmlStore : IAml
{
    public AmlStore(IAml source, IAml target)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        Source = source;
        Target = target;
    }

    public IAml Source { get; }

    public IAml Target { get; }

    public void AppendTo(AmlSink sink)
    {
        sink.Byte(AmlOpcode.Store);
        Source.AppendTo(sink);
        Target.AppendTo(sink);
    }
}
