namespace Vireo.Acpi;

/// <summary>The Debug object (ACPI 6.5 §20.2.6.3 DebugObj); storing to it logs the value,
/// which acpiexec prints as "ACPI Debug:".</summary>
internal sealed class AmlDebug : IAml
{
    public static readonly AmlDebug Instance = new();

    private AmlDebug()
    {
    }

    public void AppendTo(AmlSink sink)
    {
        sink.Byte(AmlOpcode.ExtPrefix);
        sink.Byte(AmlOpcode.ExtDebug);
    }
}
