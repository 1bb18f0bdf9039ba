using Vireo.Memory;

namespace Vireo.Vmm;

/// <summary>The shape of a machine: what `vireo run` flags turn into.</summary>
public sealed record MachineConfig
{
    /// <summary>Guest RAM, a multiple of 2 MiB.</summary>
    public ulong MemoryBytes { get; init; } = 512UL << 20;

    /// <summary>vCPUs, 1 to 254.</summary>
    public int Cpus { get; init; } = 1;

    /// <summary>Private huge-page RAM unless a device process needs to map guest memory.</summary>
    public GuestMemoryBacking MemoryBacking { get; init; } = GuestMemoryBacking.Private;

    /// <summary>In-kernel PIC/IOAPIC/LAPIC and PIT, as every real guest needs.</summary>
    public bool InKernelIrqchip { get; init; } = true;

    /// <summary>The PCI functions to attach to the root bus, in order.</summary>
    public IReadOnlyList<PciAttachment> PciFunctions { get; init; } = [];

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> for a shape KVM or the platform cannot have.</summary>
    public void Validate()
    {
        if (Cpus is < 1 or > 254)
        {
            throw new ArgumentOutOfRangeException(nameof(Cpus), Cpus, "a machine has 1 to 254 vCPUs (xAPIC IDs)");
        }
        if (MemoryBytes < (1UL << 20) || MemoryBytes % (2UL << 20) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MemoryBytes), MemoryBytes, "memory must be a multiple of 2 MiB");
        }
    }
}
