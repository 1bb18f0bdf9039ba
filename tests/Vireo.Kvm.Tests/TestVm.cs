using Vireo.Memory;
using Vireo.Sys;

namespace Vireo.Kvm.Tests;

/// <summary>A VM with one slot of anonymous RAM at guest address 0 and one vCPU, for tests.</summary>
internal sealed class TestVm : IDisposable
{
    private TestVm(KvmSystem kvm, KvmVm vm, MappedMemory ram, KvmVcpu vcpu)
    {
        Kvm = kvm;
        Vm = vm;
        Ram = ram;
        Vcpu = vcpu;
    }

    public KvmSystem Kvm { get; }

    public KvmVm Vm { get; }

    public MappedMemory Ram { get; }

    public KvmVcpu Vcpu { get; }

    /// <summary>Creates the VM; <paramref name="irqchip"/> adds the in-kernel PIC/IOAPIC/LAPIC before
    /// the vCPU (which then halts in the kernel instead of exiting on HLT).</summary>
    public static TestVm Create(ulong ramSize = 0x4000, bool irqchip = false)
    {
        KvmSystem kvm = KvmSystem.Open();
        KvmVm vm = kvm.CreateVm();
        MappedMemory ram = MappedMemory.MapAnonymousMemory(ramSize);
        vm.SetUserMemoryRegion(0, new GuestAddress(0), ramSize, ram.DangerousGetAddress());
        if (irqchip)
        {
            vm.CreateIrqchip();
        }
        return new TestVm(kvm, vm, ram, vm.CreateVcpu(0));
    }

    public unsafe Span<byte> RamSpan
    {
        // Safe: the mapping is Ram.Length bytes and outlives every use in a test.
        get => new((void*)Ram.DangerousGetAddress(), checked((int)Ram.Length));
    }

    /// <summary>Copies 16-bit code to <paramref name="address"/> and points CS:IP at it in real
    /// mode with CS base 0.</summary>
    public void LoadRealModeCode(ReadOnlySpan<byte> code, ushort address)
    {
        code.CopyTo(RamSpan[address..]);
        KvmSregs sregs = Vcpu.GetSregs();
        sregs.Cs.Base = 0;
        sregs.Cs.Selector = 0;
        Vcpu.SetSregs(sregs);
        KvmRegs regs = default;
        regs.Rip = address;
        regs.Rflags = 2; // bit 1 of RFLAGS is reserved and reads as 1
        Vcpu.SetRegs(regs);
    }

    public void Dispose()
    {
        Vcpu.Dispose();
        Vm.Dispose();
        Ram.Dispose();
        Kvm.Dispose();
    }
}
