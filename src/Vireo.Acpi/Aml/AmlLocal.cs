namespace Vireo.Acpi;

/// <summary>Local0-Local7 (ACPI 6.5 §20.2.6.2 LocalObj).</summary>
internal sealed class AmlLocal : IAml
{
    public AmlLocal(int index)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)index, 7u, nameof(index));
        Index = index;
    }

    public int Index { get; }

    public void AppendTo(AmlSink sink) => sink.Byte((byte)(AmlOpcode.Local0 + Index));
}
