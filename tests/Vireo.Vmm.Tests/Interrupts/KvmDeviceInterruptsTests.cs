using System.Buffers.Binary;
using Vireo.Kvm;
using Vireo.Pci;
using Vireo.Sys;
using Vireo.TestSupport;

namespace Vireo.Vmm.Tests.Interrupts;

/// <summary>The plumbing on this host's /dev/kvm. No guest runs: the local APIC's IRR and the
/// IOAPIC's IRR show what KVM delivered.</summary>
public sealed class KvmDeviceInterruptsTests
{
    [KvmFact]
    public void A_masked_msix_vector_collects_its_signal_and_delivers_it_to_the_local_apic_on_unmask()
    {
        using KvmSystem kvm = KvmSystem.Open();
        using KvmVm vm = kvm.CreateVm();
        vm.CreateIrqchip();
        using KvmVcpu vcpu = vm.CreateVcpu(0);
        KvmLapicState lapic = vcpu.GetLapic();
        lapic.SetRegister(0xF0, 0x1FF); // SVR: software-enabled, else fixed interrupts are dropped
        vcpu.SetLapic(lapic);
        using var interrupts = DeviceInterrupts.ForKvm(vm);
        using EventFd v0 = EventFd.Create();
        using EventFd v1 = EventFd.Create();
        using MsixVectors msix = interrupts.CreateMsix(0x18, new MsixTable(2), [v0, v1]);
        msix.SetControl(enabled: true, functionMasked: false);

        msix.WriteTable(0, Entry(0x41, masked: false));
        msix.WriteTable(16, Entry(0x42, masked: true));
        v0.Signal();
        v1.Signal();

        Assert.True(MsixVectorsTests.WaitUntil(() => IrrHas(vcpu, 0x41)), "the live vector's signal never reached the local APIC");
        Assert.True(MsixVectorsTests.WaitUntil(() => msix.IsPending(1)), "the masked vector's signal never became pending");
        Assert.False(IrrHas(vcpu, 0x42));

        msix.WriteTable(16, Entry(0x42, masked: false));

        Assert.True(MsixVectorsTests.WaitUntil(() => IrrHas(vcpu, 0x42)), "the pending vector was not delivered on unmask");
        Assert.False(msix.IsPending(1));
        Assert.Equal(2, interrupts.Router.CommittedTable.Count(e => e.IsMsi));
    }

    [KvmFact]
    public void Intx_with_resample_registers_and_its_trigger_raises_the_ioapic_pin()
    {
        using KvmSystem kvm = KvmSystem.Open();
        using KvmVm vm = kvm.CreateVm();
        vm.CreateIrqchip();
        using var interrupts = DeviceInterrupts.ForKvm(vm);

        using IntxResampleLine line = interrupts.CreateIntx(18);
        line.Trigger.Signal();

        Assert.True(MsixVectorsTests.WaitUntil(() => (vm.GetIrqchip(KvmIrqchipId.Ioapic).Ioapic.Irr & (1u << 18)) != 0), "INTx never reached IOAPIC pin 18");
        // No EOI without a guest, so KVM has not resampled.
        Assert.Equal(0UL, line.Resample.TryRead());
    }

    [KvmFact]
    public void Routing_msi_keeps_the_legacy_lines_working()
    {
        using KvmSystem kvm = KvmSystem.Open();
        using KvmVm vm = kvm.CreateVm();
        vm.CreateIrqchip();
        using var interrupts = DeviceInterrupts.ForKvm(vm);
        using EventFd v0 = EventFd.Create();
        using MsixVectors msix = interrupts.CreateMsix(0x18, new MsixTable(1), [v0]);
        msix.SetControl(enabled: true, functionMasked: false);
        msix.WriteTable(0, Entry(0x41, masked: false));

        vm.SetIrqLine(4, true);

        Assert.Equal(1, interrupts.Router.Commits);
        Assert.Equal(1u << 4, vm.GetIrqchip(KvmIrqchipId.Ioapic).Ioapic.Irr);
        Assert.Equal(1 << 4, vm.GetIrqchip(KvmIrqchipId.PicMaster).Pic.Irr);
    }

    private static byte[] Entry(uint vector, bool masked)
    {
        byte[] entry = new byte[MsixTable.EntrySize];
        BinaryPrimitives.WriteUInt64LittleEndian(entry, 0xFEE0_0000); // physical destination APIC 0
        BinaryPrimitives.WriteUInt32LittleEndian(entry.AsSpan(8), vector);
        entry[12] = masked ? (byte)1 : (byte)0;
        return entry;
    }

    // IRR: eight 32-bit registers at 0x200, 0x210, ... (Intel SDM Vol. 3 §11.8.4).
    private static bool IrrHas(KvmVcpu vcpu, int vector) =>
        (vcpu.GetLapic().GetRegister(0x200 + (0x10 * (vector / 32))) & (1u << (vector % 32))) != 0;
}
