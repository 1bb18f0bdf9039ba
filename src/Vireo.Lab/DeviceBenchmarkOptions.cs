namespace Vireo.Lab;

/// <summary>How <see cref="DeviceBenchmark"/> runs.</summary>
public sealed class DeviceBenchmarkOptions
{
    /// <summary>Runs per VMM, alternating Vireo and QEMU.</summary>
    public int Rounds { get; init; } = 2;

    /// <summary>How long each phase runs in the guest.</summary>
    public int PhaseSeconds { get; init; } = 5;

    /// <summary>Guest memory in MiB.</summary>
    public int MemoryMiB { get; init; } = 256;

    /// <summary>The disk image's size in MiB (in L1's memory).</summary>
    public int DiskMiB { get; init; } = 128;

    /// <summary>L1 kills a VMM run after this long.</summary>
    public TimeSpan RunTimeout { get; init; } = TimeSpan.FromMinutes(4);

    /// <summary>vireo's path in L1.</summary>
    public string VireoInL1 { get; init; } = "/usr/local/bin/vireo";

    /// <summary>The guest kernel's path in L1.</summary>
    public string KernelInL1 { get; init; } = "/l2/vmlinuz";

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Rounds, 1, nameof(Rounds));
        ArgumentOutOfRangeException.ThrowIfLessThan(PhaseSeconds, 1, nameof(PhaseSeconds));
        ArgumentOutOfRangeException.ThrowIfLessThan(MemoryMiB, 64, nameof(MemoryMiB));
        ArgumentOutOfRangeException.ThrowIfLessThan(DiskMiB, 16, nameof(DiskMiB));
        ArgumentOutOfRangeException.ThrowIfLessThan(RunTimeout, TimeSpan.FromSeconds(10), nameof(RunTimeout));
    }
}
