namespace Vireo.Acpi;

/// <summary>Acquire (mutex, timeoutMs) (ACPI 6.5 §20.2.5.4 DefAcquire); 0xFFFF waits forever.
/// Evaluates to True when the wait timed out.</summary>
internal sealed class AmlAcquire : IAml
{
    public const ushort WaitForever = 0xFFFF;

    public AmlAcquire(AmlPath mutex, ushort timeoutMs = WaitForever)
    {
        ArgumentNullException.ThrowIfNull(mutex);
        Mutex = mutex;
        TimeoutMs = timeoutMs;
    }

    public AmlPath Mutex { get; }

    public ushort TimeoutMs { get; }

    public void AppendTo(AmlSink sink)
    {
        sink.Byte(AmlOpcode.ExtPrefix);
        sink.Byte(AmlOpcode.ExtAcquire);
        Mutex.AppendTo(sink);
        sink.Word(TimeoutMs);
    }
}
