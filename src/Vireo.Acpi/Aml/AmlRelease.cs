namespace Vireo.Acpi;

/// <summary>Release (mutex) (ACPI 6.5 §20.2.5.3 DefRelease).</summary>
internal sealed class AmlRelease : IAml
{
    public AmlRelease(AmlPath mutex)
    {
        ArgumentNullException.ThrowIfNull(mutex);
        Mutex = mutex;
    }

    public AmlPath Mutex { get; }

    public void AppendTo(AmlSink sink)
    {
        sink.Byte(AmlOpcode.ExtPrefix);
        sink.Byte(AmlOpcode.ExtRelease);
        Mutex.AppendTo(sink);
    }
}
