namespace Vireo.Vmm;

public sealed record ExitBenchmarkResult(long Exits, double Seconds)
{
    public double MicrosecondsPerExit => Seconds * 1e6 / Exits;

    public double ExitsPerSecond => Exits / Seconds;
}
