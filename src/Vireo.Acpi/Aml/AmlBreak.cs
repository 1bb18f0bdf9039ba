namespace Vireo.Acpi;

/// <summary>Break (ACPI 6.5 §20.2.5.3 DefBreak): leaves the innermost While.</summary>
internal sealed class AmlBreak : IAml
{
    public static readonly AmlBreak Instance = new();

    private AmlBreak()
    {
    }

    public void AppendTo(AmlSink sink) => sink.Byte(AmlOpcode.Break);
}
