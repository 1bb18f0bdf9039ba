namespace Vireo.Vmm;

/// <summary>What `vireo bench device-events` measured: VMM time per event, beside a plain exit.</summary>
/// <param name="ExitUs">A plain port-I/O exit, µs (the reference).</param>
/// <param name="Notify">Device notify code → mailbox and notify GPE set, µs.</param>
/// <param name="Wake">Device wake eventfd → wake GPE set (through the control loop), µs.</param>
public sealed record DeviceEventBenchmarkResult(double ExitUs, LatencySummary Notify, LatencySummary Wake)
{
    /// <summary>The notify's median in exit costs.</summary>
    public double NotifyRatio => Notify.Median / ExitUs;

    /// <summary>The wake's median in exit costs.</summary>
    public double WakeRatio => Wake.Median / ExitUs;
}
