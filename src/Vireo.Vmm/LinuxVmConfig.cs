using Vireo.Memory;

namespace Vireo.Vmm;

/// <summary>What `vireo run` boots.</summary>
public sealed record LinuxVmConfig
{
    /// <summary>Firecracker's convention: reboot through the keyboard controller, and reboot
    /// (which ends the run) at once on panic.</summary>
    public const string DefaultCmdline = "console=ttyS0 reboot=k panic=-1";

    public required string KernelPath { get; init; }

    public string? InitramfsPath { get; init; }

    public string Cmdline { get; init; } = DefaultCmdline;

    public int Cpus { get; init; } = 1;

    public ulong MemoryBytes { get; init; } = 512UL << 20;

    public GuestMemoryBacking MemoryBacking { get; init; } = GuestMemoryBacking.Private;
}
