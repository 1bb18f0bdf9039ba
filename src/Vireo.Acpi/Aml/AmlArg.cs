namespace Vireo.Acpi;

/// <summary>Arg0-Arg6 (ACPI 6.5 §20.2.6.1 ArgObj).</summary>
public sealed class AmlArg : IAml
{
    /// <summary>
    /// Arg<paramref name="index"/>; <paramref name="index"/> is 0 to 6 (ArgumentOutOfRangeException
    /// otherwise).
    /// </summary>
    public AmlArg(int index)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)index, 6u, nameof(index));
        Index = index;
    }

    /// <summary>Which argument, 0 to 6.</summary>
    public int Index { get; }

    /// <inheritdoc/>
    public void AppendTo(AmlSink sink) => sink.Byte((byte)(AmlOpcode.Arg0 + Index));
}
