using Vireo.Memory;

namespace Vireo.Vmm;

/// <summary>What `vireo run` boots.</summary>
public sealed record LinuxVmConfig
{
    /// <summary>Firecracker's convention: reboot through the keyboard controller, and reboot
    /// (which ends the run) at once on panic.</summary>
    public const string DefaultCmdline = "console=ttyS0 reboot=k panic=-1";

    /// <summary>The bzImage to boot.</summary>
    public required string KernelPath { get; init; }

    /// <summary>An initramfs (cpio, optionally compressed), or none.</summary>
    public string? InitramfsPath { get; init; }

    /// <summary>The kernel command line.</summary>
    public string Cmdline { get; init; } = DefaultCmdline;

    /// <summary>vCPUs, 1 to 254.</summary>
    public int Cpus { get; init; } = 1;

    /// <summary>Guest RAM, a multiple of 2 MiB.</summary>
    public ulong MemoryBytes { get; init; } = 512UL << 20;

    /// <summary>Private huge-page RAM, or a memfd device processes can map.</summary>
    public GuestMemoryBacking MemoryBacking { get; init; } = GuestMemoryBacking.Private;

    /// <summary>The PCI functions to attach to the root bus, in order.</summary>
    public IReadOnlyList<PciAttachment> PciFunctions { get; init; } = [];
}
