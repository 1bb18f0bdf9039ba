using Vireo.Memory;
using Vireo.Sys;
using Vireo.TestSupport;

namespace Vireo.Kvm.Tests;

public sealed class KvmVmTests
{
    [KvmFact]
    public void Memory_slots_accept_anonymous_and_memfd_mappings_and_can_be_removed()
    {
        const ulong size = 0x10000;
        using KvmSystem kvm = KvmSystem.Open();
        using KvmVm vm = kvm.CreateVm();
        using MappedMemory anonymous = MappedMemory.MapAnonymousMemory(size);
        using SafeFd memfd = MemFd.Create("vireo-test-ram", size);
        using MappedMemory shared = MappedMemory.MapShared(memfd, size);

        vm.SetUserMemoryRegion(0, new GuestAddress(0), size, anonymous.DangerousGetAddress());
        vm.SetUserMemoryRegion(1, new GuestAddress(0x10_0000), size, shared.DangerousGetAddress(), readOnly: true);
        vm.RemoveUserMemoryRegion(1, new GuestAddress(0x10_0000));
        vm.SetUserMemoryRegion(1, new GuestAddress(0x20_0000), size, shared.DangerousGetAddress());
    }

    [KvmFact]
    public void Overlapping_memory_slots_are_refused_with_the_ioctl_named()
    {
        const ulong size = 0x10000;
        using KvmSystem kvm = KvmSystem.Open();
        using KvmVm vm = kvm.CreateVm();
        using MappedMemory ram = MappedMemory.MapAnonymousMemory(size * 2);
        vm.SetUserMemoryRegion(0, new GuestAddress(0), size, ram.DangerousGetAddress());

        var e = Assert.Throws<ErrnoException>(() =>
            vm.SetUserMemoryRegion(1, new GuestAddress(0x8000), size, ram.DangerousGetAddress() + (nint)size));

        Assert.Equal(Errno.EEXIST, e.Errno);
        Assert.Equal("KVM_SET_USER_MEMORY_REGION", e.Call);
    }

    [KvmFact]
    public void Irqchip_and_pit2_are_created_and_readable()
    {
        using KvmSystem kvm = KvmSystem.Open();
        using KvmVm vm = kvm.CreateVm();
        vm.CreateIrqchip();
        vm.CreatePit2();

        KvmIrqchip ioapic = vm.GetIrqchip(KvmIrqchipId.Ioapic);
        KvmIrqchip master = vm.GetIrqchip(KvmIrqchipId.PicMaster);

        Assert.Equal(KvmIrqchipId.Ioapic, ioapic.ChipId);
        Assert.Equal(KvmIrqchipId.PicMaster, master.ChipId);
        Assert.Equal(0u, ioapic.Ioapic.Irr);
        Assert.Equal(0, master.Pic.Irr);
    }

    [KvmFact]
    public void Irq_line_shows_up_in_the_ioapic_and_pic_request_registers()
    {
        using KvmSystem kvm = KvmSystem.Open();
        using KvmVm vm = kvm.CreateVm();
        vm.CreateIrqchip();

        vm.SetIrqLine(4, true);

        Assert.Equal(1u << 4, vm.GetIrqchip(KvmIrqchipId.Ioapic).Ioapic.Irr & (1u << 4));
        Assert.Equal(1 << 4, vm.GetIrqchip(KvmIrqchipId.PicMaster).Pic.Irr & (1 << 4));

        vm.SetIrqLine(4, false);

        // The IOAPIC follows the line level; the edge-triggered PIC keeps the latched request.
        Assert.Equal(0u, vm.GetIrqchip(KvmIrqchipId.Ioapic).Ioapic.Irr & (1u << 4));
        Assert.Equal(1 << 4, vm.GetIrqchip(KvmIrqchipId.PicMaster).Pic.Irr & (1 << 4));
    }

    [KvmFact]
    public void Irqfd_signal_raises_its_gsi_and_stops_after_unregistering()
    {
        using KvmSystem kvm = KvmSystem.Open();
        using KvmVm vm = kvm.CreateVm();
        vm.CreateIrqchip();
        using EventFd irq5 = EventFd.Create();
        using EventFd irq6 = EventFd.Create();
        vm.RegisterIrqfd(irq5, 5);
        vm.RegisterIrqfd(irq6, 6);
        vm.UnregisterIrqfd(irq6, 6);

        irq5.Signal();
        irq6.Signal();

        // irqfd injection runs on a kernel work item; an edge leaves the PIC's IRR bit latched.
        Assert.True(WaitFor(() => (vm.GetIrqchip(KvmIrqchipId.PicMaster).Pic.Irr & (1 << 5)) != 0), "GSI 5 never reached the PIC");
        Assert.Equal(0, vm.GetIrqchip(KvmIrqchipId.PicMaster).Pic.Irr & (1 << 6));
    }

    [KvmFact]
    public void Irqfd_with_resample_registers_when_supported()
    {
        using KvmSystem kvm = KvmSystem.Open();
        using KvmVm vm = kvm.CreateVm();
        vm.CreateIrqchip();
        Assert.True(vm.CheckExtension(KvmCapability.IrqfdResample) > 0);
        using EventFd trigger = EventFd.Create();
        using EventFd resample = EventFd.Create();

        vm.RegisterIrqfd(trigger, 10, resample);
        trigger.Signal();

        // Level-triggered: the IOAPIC line stays high until the guest's EOI.
        Assert.True(WaitFor(() => (vm.GetIrqchip(KvmIrqchipId.Ioapic).Ioapic.Irr & (1u << 10)) != 0), "GSI 10 never reached the IOAPIC");
        vm.UnregisterIrqfd(trigger, 10);
    }

    [KvmFact]
    public void Gsi_routing_moves_a_gsi_to_another_ioapic_pin()
    {
        using KvmSystem kvm = KvmSystem.Open();
        using KvmVm vm = kvm.CreateVm();
        vm.CreateIrqchip();

        vm.SetGsiRouting(
        [
            KvmIrqRoutingEntry.ForIrqchip(10, KvmIrqchipId.Ioapic, 7),
            KvmIrqRoutingEntry.ForMsi(30, 0xFEE0_0000, 0x31),
        ]);
        vm.SetIrqLine(10, true);

        uint irr = vm.GetIrqchip(KvmIrqchipId.Ioapic).Ioapic.Irr;
        Assert.Equal(1u << 7, irr);
    }

    [KvmFact]
    public void Gsi_routing_with_the_default_routes_and_msi_keeps_the_legacy_lines()
    {
        using KvmSystem kvm = KvmSystem.Open();
        using KvmVm vm = kvm.CreateVm();
        vm.CreateIrqchip();
        // KVM_CAP_IRQ_ROUTING answers KVM_MAX_IRQ_ROUTES, the bound on GSI numbers.
        int routes = vm.RequireCapability(KvmCapability.IrqRouting, "the test");

        vm.SetGsiRouting([.. KvmDefaultIrqRouting.Entries, KvmIrqRoutingEntry.ForMsi(24, 0xFEE0_0000, 0x41), KvmIrqRoutingEntry.ForMsi((uint)routes - 1, 0xFEE0_1000, 0x42)]);
        vm.SetIrqLine(3, true);
        vm.SetIrqLine(12, true);
        vm.SetIrqLine(20, true);

        Assert.Equal((1u << 3) | (1u << 12) | (1u << 20), vm.GetIrqchip(KvmIrqchipId.Ioapic).Ioapic.Irr);
        // IRQ 12 on the slave also raises the cascade input, master pin 2.
        Assert.Equal((1 << 3) | (1 << 2), vm.GetIrqchip(KvmIrqchipId.PicMaster).Pic.Irr);
        Assert.Equal(1 << 4, vm.GetIrqchip(KvmIrqchipId.PicSlave).Pic.Irr);
    }

    [KvmFact]
    public void Irqfd_on_an_msi_route_sets_the_vector_in_the_local_apic()
    {
        using KvmSystem kvm = KvmSystem.Open();
        using KvmVm vm = kvm.CreateVm();
        vm.CreateIrqchip();
        using KvmVcpu vcpu = vm.CreateVcpu(0);
        KvmLapicState lapic = vcpu.GetLapic();
        lapic.SetRegister(0xF0, 0x1FF); // SVR: software-enabled, else a fixed interrupt is dropped
        vcpu.SetLapic(lapic);
        vm.SetGsiRouting([.. KvmDefaultIrqRouting.Entries, KvmIrqRoutingEntry.ForMsi(24, 0xFEE0_0000, 0x41)]);
        using EventFd trigger = EventFd.Create();

        vm.RegisterIrqfd(trigger, 24);
        trigger.Signal();

        // IRR bit 0x41 is bit 1 of the 32-bit register at 0x200 + 0x10 * (0x41 / 32).
        Assert.True(WaitFor(() => (vcpu.GetLapic().GetRegister(0x220) & 0b10) != 0), "the MSI never reached the local APIC");
        vm.UnregisterIrqfd(trigger, 24);
    }

    [KvmFact]
    public void Gsi_routing_rejects_a_pin_past_the_ioapic_by_name()
    {
        using KvmSystem kvm = KvmSystem.Open();
        using KvmVm vm = kvm.CreateVm();
        vm.CreateIrqchip();

        var error = Assert.Throws<ErrnoException>(() => vm.SetGsiRouting([.. KvmDefaultIrqRouting.Entries, KvmIrqRoutingEntry.ForIrqchip(30, KvmIrqchipId.Ioapic, 99)]));

        Assert.Equal(Errno.EINVAL, error.Errno);
        Assert.Equal("KVM_SET_GSI_ROUTING", error.Call);
        Assert.StartsWith("KVM_SET_GSI_ROUTING failed: EINVAL", error.Message);
    }

    [KvmFact]
    public void A_missing_capability_is_a_typed_error_that_names_it()
    {
        using KvmSystem kvm = KvmSystem.Open();
        using KvmVm vm = kvm.CreateVm();

        var error = Assert.Throws<KvmUnavailableException>(() => vm.RequireCapability((KvmCapability)100_000, "the test"));

        Assert.Contains("100000", error.Message);
        Assert.Contains("the test", error.Message);
        Assert.True(vm.RequireCapability(KvmCapability.IrqfdResample, "the test") > 0);
    }

    [Fact]
    public void Default_routing_is_the_kernels_table()
    {
        IReadOnlyList<KvmIrqRoutingEntry> entries = KvmDefaultIrqRouting.Entries;

        Assert.Equal(40, entries.Count);
        Assert.Equal(KvmIrqRoutingEntry.ForIrqchip(0, KvmIrqchipId.Ioapic, 0), entries[0]);
        Assert.Equal(KvmIrqRoutingEntry.ForIrqchip(0, KvmIrqchipId.PicMaster, 0), entries[1]);
        Assert.Equal(KvmIrqRoutingEntry.ForIrqchip(9, KvmIrqchipId.PicSlave, 1), entries[19]);
        Assert.Equal(KvmIrqRoutingEntry.ForIrqchip(23, KvmIrqchipId.Ioapic, 23), entries[39]);
        Assert.Equal("GSI 24 -> MSI 0xfee00000/0x41", KvmIrqRoutingEntry.ForMsi(24, 0xFEE0_0000, 0x41).ToString());
    }

    [KvmFact]
    public void Irqchip_state_round_trips()
    {
        using KvmSystem kvm = KvmSystem.Open();
        using KvmVm vm = kvm.CreateVm();
        vm.CreateIrqchip();
        KvmIrqchip ioapic = vm.GetIrqchip(KvmIrqchipId.Ioapic);
        ioapic.Ioapic.Id = 5;
        ioapic.Ioapic.Redirtbl[3] = 0x0001_0000_0000_0033; // masked, vector 0x33
        KvmIrqchip pic = vm.GetIrqchip(KvmIrqchipId.PicSlave);
        pic.Pic.Imr = 0xA5;

        vm.SetIrqchip(ioapic);
        vm.SetIrqchip(pic);

        KvmIrqchip ioapicBack = vm.GetIrqchip(KvmIrqchipId.Ioapic);
        Assert.Equal(5u, ioapicBack.Ioapic.Id);
        Assert.Equal(ioapic.Ioapic.Redirtbl[3], ioapicBack.Ioapic.Redirtbl[3]);
        Assert.Equal(0xA5, vm.GetIrqchip(KvmIrqchipId.PicSlave).Pic.Imr);
    }

    [KvmFact]
    public void Pit2_state_round_trips()
    {
        using KvmSystem kvm = KvmSystem.Open();
        using KvmVm vm = kvm.CreateVm();
        vm.CreateIrqchip();
        vm.CreatePit2();
        KvmPitState2 state = vm.GetPit2();
        state.Channels[2].Count = 0x1234;
        state.Channels[2].Mode = 2;
        state.Channels[2].RwMode = 3;

        vm.SetPit2(state);

        KvmPitState2 back = vm.GetPit2();
        Assert.Equal(0x1234u, back.Channels[2].Count);
        Assert.Equal(2, back.Channels[2].Mode);
        Assert.Equal(3, back.Channels[2].RwMode);
    }

    [KvmFact]
    public void Clock_set_is_read_back()
    {
        const ulong oneHour = 3_600_000_000_000;
        using KvmSystem kvm = KvmSystem.Open();
        using KvmVm vm = kvm.CreateVm();

        vm.SetClock(new KvmClockData { Clock = oneHour });

        ulong clock = vm.GetClock().Clock;
        Assert.InRange(clock, oneHour, oneHour + 10_000_000_000);
    }

    [KvmFact]
    public void Tss_and_identity_map_addresses_are_accepted()
    {
        using KvmSystem kvm = KvmSystem.Open();
        using KvmVm vm = kvm.CreateVm();

        vm.SetIdentityMapAddress(new GuestAddress(0xFFFB_C000));
        vm.SetTssAddress(new GuestAddress(0xFFFB_D000));
    }

    [KvmFact]
    public void Xsave_size_is_at_least_the_legacy_struct()
    {
        using KvmSystem kvm = KvmSystem.Open();
        using KvmVm vm = kvm.CreateVm();

        Assert.True(vm.XsaveSize >= System.Runtime.CompilerServices.Unsafe.SizeOf<KvmXsave>());
    }

    private static bool WaitFor(Func<bool> condition)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(5);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }
            Thread.Sleep(1);
        }
        return true;
    }
}
