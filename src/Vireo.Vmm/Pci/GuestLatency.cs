namespace Vireo.Vmm;

/// <summary>
/// How long a device's events take to reach the guest, on the VMM's clock, over the last
/// <see cref="Window"/> samples (<see cref="DevicePowerSlot.NotifyLatency"/> and
/// <see cref="DevicePowerSlot.WakeLatency"/> say from what to what). They include the guest's
/// SCI, its ACPI interrupt handling and the AML's own port accesses: whole trips through a
/// guest, not the VMM's share alone (that is `vireo bench device-events`). Thread-safe.
/// </summary>
public sealed class GuestLatency
{
    /// <summary>How many of the latest samples a summary covers.</summary>
    public const int Window = 256;

    private readonly Lock _lock = new();
    private readonly double[] _samples = new double[Window];
    private long _count;

    /// <summary>Samples recorded since the machine started (older ones leave the window).</summary>
    public long Count
    {
        get
        {
            lock (_lock)
            {
                return _count;
            }
        }
    }

    /// <summary>Adds one sample.</summary>
    public void Record(TimeSpan latency)
    {
        lock (_lock)
        {
            _samples[(int)(_count % Window)] = latency.TotalMicroseconds;
            _count++;
        }
    }

    /// <summary>The window's summary in µs, or null before the first sample.</summary>
    public LatencySummary? Summary()
    {
        lock (_lock)
        {
            return _count == 0 ? null : LatencySummary.Of(_samples[..(int)Math.Min(_count, Window)]);
        }
    }
}
