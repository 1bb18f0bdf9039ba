namespace Vireo.Vmm;

/// <summary>What `vireo bench device-events` measured: VMM time per event, beside a plain exit.</summary>
/// <param name="ExitUs">A plain port-I/O exit, µs (the reference).</param>
/// <param name="Notify">Device notify code → mailbox and notify GPE set, µs.</param>
/// <param name="Wake">Device wake eventfd → wake GPE set, µs, from the device's wake call's return
/// (it signals the eventfd last, so this is the VMM's part, give or take the signal's own cost).</param>
/// <param name="DeviceWake">The device's wake call itself (the server's work: its BAR files back), µs.</param>
public sealed record DeviceEventBenchmarkResult(double ExitUs, LatencySummary Notify, LatencySummary Wake, LatencySummary DeviceWake)
{
    /// <summary>The notify's median in exit costs.</summary>
    public double NotifyRatio => Notify.Median / ExitUs;

    /// <summary>The wake's median in exit costs.</summary>
    public double WakeRatio => Wake.Median / ExitUs;
}
