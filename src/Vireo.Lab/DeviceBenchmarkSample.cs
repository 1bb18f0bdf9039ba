using System.Globalization;

namespace Vireo.Lab;

/// <summary>One phase of one run: what the guest's tool did, in its own time, and the VMM's CPU
/// time over the phase (clock ticks of user + system time, less guest time).</summary>
/// <param name="Name">blk-randread, blk-seqread or tcp-send.</param>
/// <param name="Requests">Reads or writes the tool made.</param>
/// <param name="Bytes">Bytes they moved.</param>
/// <param name="Seconds">The guest's time for them.</param>
/// <param name="VmmCpuTicks">The VMM's CPU time from the mark before to the mark after, in USER_HZ ticks.</param>
public sealed record DeviceBenchmarkPhase(string Name, long Requests, long Bytes, double Seconds, long VmmCpuTicks)
{
    /// <summary>Linux's USER_HZ, the unit of /proc/PID/stat's times.</summary>
    public const int TicksPerSecond = 100;

    /// <summary>Requests per second (IOPS for the disk).</summary>
    public double RequestsPerSecond => Requests / Seconds;

    /// <summary>MiB per second.</summary>
    public double MiBPerSecond => Bytes / Seconds / (1 << 20);

    /// <summary>The VMM's CPU time per request, in microseconds.</summary>
    public double VmmCpuMicrosecondsPerRequest => Requests == 0 ? 0 : VmmCpuTicks * (1e6 / TicksPerSecond) / Requests;

    /// <summary>The VMM's CPU time per MiB moved, in microseconds.</summary>
    public double VmmCpuMicrosecondsPerMiB => Bytes == 0 ? 0 : VmmCpuTicks * (1e6 / TicksPerSecond) / (Bytes / (double)(1 << 20));
}

/// <summary>One VMM run's phases.</summary>
/// <param name="Vmm">Which VMM.</param>
/// <param name="Round">1-based round.</param>
/// <param name="Phases">In <see cref="DeviceBenchmark.Phases"/> order.</param>
public sealed record DeviceBenchmarkSample(BootBenchmarkVmm Vmm, int Round, IReadOnlyList<DeviceBenchmarkPhase> Phases)
{
    /// <summary>The phase called <paramref name="name"/>.</summary>
    public DeviceBenchmarkPhase Phase(string name) => Phases.Single(p => p.Name == name);

    /// <inheritdoc/>
    public override string ToString() => string.Join(", ", Phases.Select(p => string.Create(CultureInfo.InvariantCulture,
        $"{p.Name} {p.RequestsPerSecond:0} req/s {p.MiBPerSecond:0.0} MiB/s {p.VmmCpuMicrosecondsPerRequest:0} us CPU/req")));
}
