namespace Vireo.Lab;

/// <summary>What <see cref="BootBenchmark"/> runs and where its files are inside L1. The
/// default paths are where <see cref="BootBenchmark.RunInNewLabAsync"/> puts them (and where
/// the lab tests' shared L1 has them).</summary>
public sealed class BootBenchmarkOptions
{
    /// <summary>Runs per VMM, alternating Vireo, QEMU, Vireo, ...</summary>
    public int Rounds { get; init; } = 3;

    /// <summary>Guest memory in MiB, the same for both VMMs; at least 16.</summary>
    public int MemoryMiB { get; init; } = 256;

    /// <summary>vCPUs, the same for both VMMs; at least 1.</summary>
    public int Cpus { get; init; } = 1;

    /// <summary>One VMM run inside L1 is killed after this; L1 survives, so the failure report
    /// can show that run's console.</summary>
    public TimeSpan RunTimeout { get; init; } = TimeSpan.FromMinutes(4);

    /// <summary>The vireo binary's path inside L1.</summary>
    public string VireoInL1 { get; init; } = "/usr/local/bin/vireo";

    /// <summary>The L2 guest kernel's path inside L1.</summary>
    public string KernelInL1 { get; init; } = "/l2/vmlinuz";

    /// <summary>The L2 guest initramfs's path inside L1.</summary>
    public string InitramfsInL1 { get; init; } = "/l2/initramfs.cpio.gz";

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Rounds, 1, nameof(Rounds));
        ArgumentOutOfRangeException.ThrowIfLessThan(MemoryMiB, 16, nameof(MemoryMiB));
        ArgumentOutOfRangeException.ThrowIfLessThan(Cpus, 1, nameof(Cpus));
        ArgumentOutOfRangeException.ThrowIfLessThan(RunTimeout, TimeSpan.FromSeconds(1), nameof(RunTimeout));
    }
}
