namespace Vireo.Acpi;

/// <summary>Store (source, target), ASL+ <c>target = source</c> (ACPI 6.5 §20.2.5.4 DefStore).</summary>
public sealed class AmlStore : IAml
{
    /// <summary>Store (<paramref name="source"/>, <paramref name="target"/>).</summary>
    public AmlStore(IAml source, IAml target)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        Source = source;
        Target = target;
    }

    /// <summary>The value stored.</summary>
    public IAml Source { get; }

    /// <summary>Where it is stored (a name, local, argument or field).</summary>
    public IAml Target { get; }

    /// <inheritdoc/>
    public void AppendTo(AmlSink sink)
    {
        sink.Byte(AmlOpcode.Store);
        Source.AppendTo(sink);
        Target.AppendTo(sink);
    }
}
