using Vireo.Sdei;
using Vireo.Vmm.Arm64;

namespace Vireo.Vmm.Tests.Arm64;

public sealed class Arm64PlatformTests
{
    [Fact]
    public void The_GIC_UART_and_RAM_never_overlap_at_the_most_vcpus()
    {
        (ulong Start, ulong End, string Name)[] ranges =
        [
            (Arm64Platform.GicDistributor.Value, Arm64Platform.GicDistributor.Value + Arm64Platform.GicDistributorSize, "distributor"),
            (Arm64Platform.GicRedistributors.Value, Arm64Platform.GicRedistributors.Value + Arm64Platform.GicRedistributorSize(Arm64Platform.MaxCpus), "redistributors"),
            (Arm64Platform.Uart.Value, Arm64Platform.Uart.Value + Arm64Platform.UartSize, "uart"),
            (Arm64Platform.PciEcam.Value, Arm64Platform.PciEcam.Value + Devices.PciRootBus.EcamSize, "pci ecam"),
            (Arm64Platform.PciIo.Value, Arm64Platform.PciIo.Value + Arm64Platform.PciIoSize, "pci i/o"),
            (Arm64Platform.PciMemory32.Value, Arm64Platform.PciMemory32.Value + Arm64Platform.PciMemory32Size, "pci 32-bit window"),
            (Arm64Platform.RamBase.Value, Arm64Platform.RamBase.Value + Arm64Platform.MaxMemoryBytes, "ram"),
            (Arm64Platform.PciMemory64.Value, Arm64Platform.PciMemory64.Value + Arm64Platform.PciMemory64Size, "pci 64-bit window"),
        ];
        foreach (var a in ranges)
        {
            foreach (var b in ranges.Where(r => r.Name != a.Name))
            {
                Assert.False(a.Start < b.End && b.Start < a.End, $"{a.Name} overlaps {b.Name}");
            }
        }
        Assert.Equal(123, Arm64Platform.MaxCpus);
        // The 64-bit window ends inside the 40-bit IPA space KVM gives a VM by default.
        Assert.True(Arm64Platform.PciMemory64.Value + Arm64Platform.PciMemory64Size <= 1UL << 40);
        // One more vCPU's redistributor would run into the UART.
        Assert.True(Arm64Platform.GicRedistributors.Value + Arm64Platform.GicRedistributorSize(Arm64Platform.MaxCpus + 1) > Arm64Platform.Uart.Value);
    }

    [Fact]
    public void The_vgic_size_is_what_KVM_accepts_and_the_uart_spi_is_inside_it()
    {
        // KVM_DEV_ARM_VGIC_GRP_NR_IRQS: a multiple of 32 from 64 to 1024, private interrupts included.
        Assert.Equal(0u, Arm64Platform.GicInterrupts % 32);
        Assert.InRange(Arm64Platform.GicInterrupts, 64u, 1024u);
        Assert.True(32 + Arm64Platform.UartSpi < Arm64Platform.GicInterrupts);
    }
}

public sealed class Arm64PlatformResourcesTests
{
    [Fact]
    public void The_machines_resources_hold_its_fixed_devices_and_it_has_no_ports_or_gpes_to_give()
    {
        PlatformResources resources = Arm64Platform.Resources(cpus: 2);

        Assert.Contains(resources.Assignments, a => a.Kind == ResourceKind.Mmio && a.Start == Arm64Platform.Uart.Value && a.Owner == "UART (16550)");
        Assert.Contains(resources.Assignments, a => a.Kind == ResourceKind.Mmio && a.Start == 0x0903_0000 && a.Length == 0x1000 && a.Owner == "GPIO (PL061)");
        // Interrupts are numbered as KVM's GSIs: SPI n (INTID 32 + n). The UART is SPI 1, the
        // GPIO controller SPI 2, PCI INTx SPIs 4-7.
        Assert.Contains(resources.Assignments, a => a.Kind == ResourceKind.Gsi && a.Start == 1 && a.Owner == "UART (16550)");
        Assert.Contains(resources.Assignments, a => a.Kind == ResourceKind.Gsi && a.Start == 2 && a.Length == 1 && a.Owner == "GPIO (PL061)");
        Assert.Equal(34u, Arm64Platform.GpioIntid);
        Assert.Contains(resources.Assignments, a => a.Kind == ResourceKind.Gsi && a.Start == 4 && a.Length == 4 && a.Owner == "PCI INTA-INTD");
        Assert.Contains(resources.Assignments, a => a.Kind == ResourceKind.Mmio && a.Start == Arm64Platform.PciEcam.Value && a.Owner == "PCI ECAM (bus 0)");
        Assert.Contains(resources.Assignments, a => a.Kind == ResourceKind.Mmio && a.Start == Arm64Platform.GicRedistributors.Value
            && a.Length == 2 * Arm64Platform.GicRedistributorStride);
        Assert.Throws<ResourceConflictException>(() => resources.Allocate(ResourceKind.Pio, 8, "a port device"));
        Assert.Throws<ResourceConflictException>(() => resources.Allocate(ResourceKind.Gpe, 1, "a GPE"));
        // The other shared interrupts remain for devices, first fit around the UART's and the GPIO's.
        Assert.Equal(0UL, resources.Allocate(ResourceKind.Gsi, 1, "first device").Start);
        Assert.Equal(3UL, resources.Allocate(ResourceKind.Gsi, 1, "second device").Start);
        Assert.Equal(8UL, resources.Allocate(ResourceKind.Gsi, 2, "third device").Start);
        Assert.Throws<ResourceConflictException>(() => resources.Allocate(ResourceKind.Gsi, Arm64Platform.Spis, "too many"));
    }

    [Fact]
    public void The_sdei_table_has_one_event_of_each_kind_and_a_dispatcher_accepts_it()
    {
        Assert.Equal(
            [(SdeiEventType.Private, SdeiPriority.Normal), (SdeiEventType.Private, SdeiPriority.Critical),
             (SdeiEventType.Shared, SdeiPriority.Normal), (SdeiEventType.Shared, SdeiPriority.Critical)],
            Arm64Platform.SdeiEvents.Select(e => (e.Type, e.Priority)));
        Assert.DoesNotContain(Arm64Platform.SdeiEvents, e => e.Number == 0 || e.Signalable);
        Assert.Equal(Arm64Platform.SdeiEvents.Count, Arm64Platform.SdeiEvents.Select(e => e.Number).Distinct().Count());
        var dispatcher = new SdeiDispatcher(Arm64Platform.SdeiEvents, [0, 1], new NoHost());
        // The host can raise each; none is registered yet, so each signal is dropped as DENIED.
        foreach (SdeiEventDescriptor e in Arm64Platform.SdeiEvents)
        {
            Assert.Equal(SdeiReturnCode.Denied, dispatcher.Signal(e.Number, e.Type == SdeiEventType.Private ? 1 : null));
        }
    }

    private sealed class NoHost : ISdeiHost
    {
        public void RequestDelivery(int vcpu)
        {
        }
    }
}
