namespace Vireo.Acpi;

/// <summary>Local0-Local7 (ACPI 6.5 §20.2.6.2 LocalObj).</summary>
public sealed class AmlLocal : IAml
{
    /// <summary>
    /// Local<paramref name="index"/>; <paramref name="index"/> is 0 to 7 (ArgumentOutOfRangeException
    /// otherwise).
    /// </summary>
    public AmlLocal(int index)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)index, 7u, nameof(index));
        Index = index;
    }

    /// <summary>Which local, 0 to 7.</summary>
    public int Index { get; }

    /// <inheritdoc/>
    public void AppendTo(AmlSink sink) => sink.Byte((byte)(AmlOpcode.Local0 + Index));
}
