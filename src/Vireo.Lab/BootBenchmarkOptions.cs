namespace Vireo.Lab;

/// <summary>What <see cref="BootBenchmark"/> runs and where its files are inside L1. The
/// default paths are where <see cref="BootBenchmark.RunInNewLabAsync"/> puts them (and where
/// the lab tests' shared L1 has them).</summary>
public sealed class BootBenchmarkOptions
{
    /// <summary>Runs per VMM, alternating Vireo, QEMU, Vireo, ...</summary>
    public int Rounds { get; init; } = 3;

    public int MemoryMiB { get; init; } = 256;

    public int Cpus { get; init; } = 1;

    /// <summary>One VMM run inside L1 is killed after this; L1 survives, so the failure report
    /// can show that run's console.</summary>
    public TimeSpan RunTimeout { get; init; } = TimeSpan.FromMinutes(4);

    public string VireoInL1 { get; init; } = "/usr/local/bin/vireo";

    public string KernelInL1 { get; init; } = "/l2/vmlinuz";

    public string InitramfsInL1 { get; init; } = "/l2/initramfs.cpio.gz";

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Rounds, 1, nameof(Rounds));
        ArgumentOutOfRangeException.ThrowIfLessThan(MemoryMiB, 16, nameof(MemoryMiB));
        ArgumentOutOfRangeException.ThrowIfLessThan(Cpus, 1, nameof(Cpus));
        ArgumentOutOfRangeException.ThrowIfLessThan(RunTimeout, TimeSpan.FromSeconds(1), nameof(RunTimeout));
    }
}
