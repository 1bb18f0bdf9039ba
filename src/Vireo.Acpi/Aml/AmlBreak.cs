namespace Vireo.Acpi;

/// <summary>Break (ACPI 6.5 §20.2.5.3 DefBreak): leaves the innermost While.</summary>
public sealed class AmlBreak : IAml
{
    /// <summary>The one Break; it has no operands.</summary>
    public static readonly AmlBreak Instance = new();

    private AmlBreak()
    {
    }

    /// <inheritdoc/>
    public void AppendTo(AmlSink sink) => sink.Byte(AmlOpcode.Break);
}
