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
}
