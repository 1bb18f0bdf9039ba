namespace Vireo.Vmm;

/// <summary>What `vireo bench exits` measured: <paramref name="Exits"/> port writes (each an
/// exit unless coalesced) and how many times the vCPU really came out to Vireo.</summary>
/// <param name="Exits">Port writes the guest made.</param>
/// <param name="Seconds">Wall-clock time of the run.</param>
/// <param name="VcpuExits">Times the vCPU came out to Vireo.</param>
/// <param name="FirstEntry">The VMM's footprint just before the first guest instruction.</param>
/// <param name="End">The VMM's footprint after the guest halted.</param>
public sealed record ExitBenchmarkResult(long Exits, double Seconds, long VcpuExits, VmmFootprint? FirstEntry = null, VmmFootprint? End = null)
{
    /// <summary>Wall-clock microseconds per guest write.</summary>
    public double MicrosecondsPerExit => Seconds * 1e6 / Exits;

    /// <summary>Guest writes per second.</summary>
    public double ExitsPerSecond => Exits / Seconds;
}
