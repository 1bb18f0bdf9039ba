namespace Vireo.Acpi;

/// <summary>Arg0-Arg6 (ACPI 6.5 §20.2.6.1 ArgObj).</summary>
public sealed class AmlArg : IAml
{
    public AmlArg(int index)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)index, 6u, nameof(index));
        Index = index;
    }

    public int Index { get; }

    public void AppendTo(AmlSink sink) => sink.Byte((byte)(AmlOpcode.Arg0 + Index));
}
