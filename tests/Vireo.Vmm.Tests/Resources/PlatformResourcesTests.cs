using Vireo.Devices;

namespace Vireo.Vmm.Tests.Resources;

public sealed class PlatformResourcesTests
{
    private static PlatformResources Small() => new(pioPool: (0x100, 0x110), mmioPool: (0x1000, 0x4000), gsiPool: (16, 18), gpeCount: 4);

    [Fact]
    public void Allocations_are_first_fit_aligned_and_skip_what_is_taken()
    {
        PlatformResources r = Small();
        r.Reserve(ResourceKind.Pio, 0x100, 2, "fixed");
        Assert.Equal(0x104UL, r.Allocate(ResourceKind.Pio, 4, "a", alignment: 4).Start);
        Assert.Equal(0x102UL, r.Allocate(ResourceKind.Pio, 2, "b").Start);
        Assert.Equal(0x108UL, r.Allocate(ResourceKind.Pio, 8, "c", alignment: 8).Start);
        Assert.Equal(0x2000UL, r.Allocate(ResourceKind.Mmio, 0x1000, "bar", alignment: 0x2000).Start);
        Assert.Equal(16UL, r.Allocate(ResourceKind.Gsi, 1, "irq").Start);
        Assert.Equal(["Pio 0x100-0x101 (fixed)", "Pio 0x104-0x107 (a)", "Pio 0x102-0x103 (b)", "Pio 0x108-0x10f (c)", "Mmio 0x2000-0x2fff (bar)", "Gsi 16 (irq)"],
            r.Assignments.Select(a => a.ToString()));
    }

    [Fact]
    public void Overlapping_reservations_and_a_full_pool_are_errors_that_name_both_owners()
    {
        PlatformResources r = Small();
        r.Reserve(ResourceKind.Gpe, 0, 3, "host GPEs");
        ResourceConflictException overlap = Assert.Throws<ResourceConflictException>(() => r.Reserve(ResourceKind.Gpe, 2, 1, "wake GPE"));
        Assert.Contains("wake GPE", overlap.Message);
        Assert.Contains("host GPEs", overlap.Message);
        Assert.Equal(3UL, r.Allocate(ResourceKind.Gpe, 1, "last").Start);
        ResourceConflictException full = Assert.Throws<ResourceConflictException>(() => r.Allocate(ResourceKind.Gpe, 1, "one too many"));
        Assert.Contains("no free Gpe", full.Message);
        // Kinds are separate spaces: port 0 is not GPE 0.
        r.Reserve(ResourceKind.Pio, 0, 3, "ports");
        Assert.Throws<ResourceConflictException>(() => r.Allocate(ResourceKind.Pio, 0, "empty"));
        Assert.Throws<ResourceConflictException>(() => r.Allocate(ResourceKind.Pio, 1, "odd", alignment: 3));
        Assert.Throws<ResourceConflictException>(() => r.Reserve(ResourceKind.Mmio, ulong.MaxValue, 2, "wraps"));
    }

    [Fact]
    public void The_pc_layout_puts_the_lps0_device_right_after_the_pm_block_and_the_dsdt_says_so()
    {
        AcpiPlatform tables = MachineBuilder.LinuxAcpiTables(new LinuxVmConfig { KernelPath = "unused", Cpus = 2 });
        using var pm = new AcpiPmDevice(new NoInterruptLine());
        var expected = new AcpiPlatform(2, [pm, .. HostGpes.Aml(), new LowPowerIdleDevice(new Vireo.Memory.PioAddress(0x630)), PcRoot(512UL << 20)]);
        Assert.Equal(expected.Dsdt.ToBytes(), tables.Dsdt.ToBytes());
        Assert.Equal([new Vireo.Acpi.McfgAllocation(0xe000_0000, 0, 0, 0)], tables.Mcfg!.Allocations);
    }

    [Fact]
    public void The_pc_layout_gives_pci_the_bottom_of_the_hole_ecam_after_it_and_a_64_bit_window_above_ram()
    {
        AcpiPlatform tables = MachineBuilder.LinuxAcpiTables(new LinuxVmConfig { KernelPath = "unused", MemoryBytes = 6UL << 30 });
        using var pm = new AcpiPmDevice(new NoInterruptLine());
        // 6 GiB: 3 GiB below the hole, 3 GiB from 4 GiB to 7 GiB, so the 64-bit window starts at 7 GiB.
        var expected = new AcpiPlatform(1, [pm, .. HostGpes.Aml(), new LowPowerIdleDevice(new Vireo.Memory.PioAddress(0x630)), PcRoot(6UL << 30)]);
        Assert.Equal(expected.Dsdt.ToBytes(), tables.Dsdt.ToBytes());
        Assert.Equal(7UL << 30, MemoryLayout.PciMemory64Start(6UL << 30).Value);
        Assert.Equal(4UL << 30, MemoryLayout.PciMemory64Start(512UL << 20).Value);
        Assert.Equal(4UL << 30, MemoryLayout.PciMemory64Start(3UL << 30).Value);
        Assert.Equal(5UL << 30, MemoryLayout.PciMemory64Start((3UL << 30) + (2UL << 20)).Value);
    }

    // The root bus as the builder lays it out on a PC with memoryBytes of RAM.
    private static PciRootBus PcRoot(ulong memoryBytes) => new(
        new PciRootBusLayout(
            EcamBase: new Vireo.Memory.MmioAddress(0xe000_0000),
            Memory32Base: new Vireo.Memory.MmioAddress(0xc000_0000),
            Memory32Size: 512UL << 20,
            Memory64Base: new Vireo.Memory.MmioAddress(MemoryLayout.PciMemory64Start(memoryBytes).Value),
            Memory64Size: 32UL << 30,
            IoBarBase: new Vireo.Memory.PioAddress(0x1000),
            IoBarSize: 0xf000,
            IntxGsis: [16, 17, 18, 19]),
        new Bus<Vireo.Memory.PioAddress>("pio"),
        new Bus<Vireo.Memory.MmioAddress>("mmio"));
}
