using Vireo.Memory;

namespace Vireo.Vmm;

/// <summary>The guest physical address map shared by the loader, ACPI tables and devices.</summary>
public static class MemoryLayout
{
    /// <summary>Start of the 32-bit MMIO hole (PCI BARs, IOAPIC, LAPIC, KVM's TSS page): RAM
    /// never extends above 3 GiB below 4 GiB.</summary>
    public static readonly GuestAddress MmioHoleStart = new(0xc000_0000);

    /// <summary>RAM that does not fit below the hole continues here.</summary>
    public static readonly GuestAddress HighRamStart = new(0x1_0000_0000);

    /// <summary>The PCI root bus's 32-bit BAR window, taken first from the MMIO hole: 512 MiB
    /// (0xC0000000-0xDFFFFFFF), the ECAM window after it, the rest of the hole for platform MMIO.</summary>
    public const ulong PciMemory32Size = 512UL << 20;

    /// <summary>The PCI root bus's 64-bit prefetchable BAR window: 32 GiB above RAM, which ends
    /// below 2^36 with up to 28 GiB of RAM (any x86-64 CPU has at least 36 physical address bits).</summary>
    public const ulong PciMemory64Size = 32UL << 30;

    /// <summary>Where the 64-bit BAR window starts for a guest with <paramref name="memoryBytes"/>
    /// of RAM: the first 1 GiB boundary at or above the end of RAM and 4 GiB.</summary>
    public static GuestAddress PciMemory64Start(ulong memoryBytes)
    {
        ulong high = memoryBytes > MmioHoleStart.Value ? memoryBytes - MmioHoleStart.Value : 0;
        ulong end = HighRamStart.Value + high;
        const ulong gib = 1UL << 30;
        return new GuestAddress((end + gib - 1) & ~(gib - 1));
    }
}
