namespace Vireo.Vmm;

/// <summary>What `vireo bench exits` measured: <paramref name="Exits"/> port writes (each an
/// exit unless coalesced) and how many times the vCPU really came out to Vireo.</summary>
public sealed record ExitBenchmarkResult(long Exits, double Seconds, long VcpuExits)
{
    /// <summary>Wall-clock microseconds per guest write.</summary>
    public double MicrosecondsPerExit => Seconds * 1e6 / Exits;

    /// <summary>Guest writes per second.</summary>
    public double ExitsPerSecond => Exits / Seconds;
}
