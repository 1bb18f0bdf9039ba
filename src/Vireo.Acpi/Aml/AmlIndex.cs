namespace Vireo.Acpi;

/// <summary>Index (source, index, target): a reference to an element of a buffer, package or
/// string (ACPI 6.5 §20.2.5.4 DefIndex). Read it through DerefOf.</summary>
internal sealed class AmlIndex : IAml
{
    public AmlIndex(IAml source, IAml index, IAml? target = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(index);
        Source = source;
        IndexValue = index;
        Target = target;
    }

    public IAml Source { get; }

    public IAml IndexValue { get; }

    public IAml? Target { get; }

    public void AppendTo(AmlSink sink)
    {
        sink.Byte(AmlOpcode.Index);
        Source.AppendTo(sink);
        IndexValue.AppendTo(sink);
        AmlTarget.Append(sink, Target);
    }
}
