namespace Vireo.Lab;

/// <summary>One VMM run to the benchmark marker, timed inside L1 from just before the VMM
/// process starts. L1 clocks tick in 10 ms steps (/proc/uptime).</summary>
/// <param name="Vmm">Which VMM ran.</param>
/// <param name="Round">The round, from 1, in which it ran.</param>
/// <param name="ToMarkerSeconds">Until the VMM's stdout delivered the guest's marker line.</param>
/// <param name="ToExitSeconds">Until the VMM process exited (after the guest's reboot).</param>
/// <param name="GuestUptimeAtMarkerSeconds">The guest's own /proc/uptime when it printed the
/// marker: guest boot time, without the VMM's start-up before the kernel runs.</param>
public sealed record BootBenchmarkSample(
    BootBenchmarkVmm Vmm,
    int Round,
    double ToMarkerSeconds,
    double ToExitSeconds,
    double GuestUptimeAtMarkerSeconds)
{
    /// <summary>Time before the guest's clock started: the VMM's start-up and VM set-up, firmware,
    /// kernel loading and the kernel's own decompression.</summary>
    public double BeforeGuestClockSeconds => ToMarkerSeconds - GuestUptimeAtMarkerSeconds;
}
