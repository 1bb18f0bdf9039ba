using Vireo.Kvm;
using Vireo.Memory;
using Vireo.Vmm.X86;

namespace Vireo.Vmm.Tests;

/// <summary>Loads hand-assembled code into a machine and points a vCPU at it.</summary>
internal static class TestGuest
{
    public static readonly GuestAddress CodeAddress = new(0x10000);

    public static Machine Create(KvmSystem kvm, int cpus = 1, ulong memory = 4UL << 20)
        => Machine.Create(kvm, new MachineConfig { MemoryBytes = memory, Cpus = cpus, InKernelIrqchip = false });

    /// <summary>Real-mode code goes below 64 KiB so that CS:IP can be 0:address.</summary>
    public static readonly GuestAddress RealModeCodeAddress = new(0x1000);

    /// <summary>Real mode, CS:IP = 0:<paramref name="address"/>.</summary>
    public static void LoadRealMode(Machine machine, byte[] code, uint vcpu = 0, GuestAddress? address = null)
    {
        GuestAddress at = address ?? RealModeCodeAddress;
        machine.Memory.Write(at, code);
        KvmVcpu cpu = machine.Vcpus[(int)vcpu].Vcpu;
        KvmSregs sregs = cpu.GetSregs();
        sregs.Cs.Base = 0;
        sregs.Cs.Selector = 0;
        sregs.Ds.Base = 0;
        sregs.Ds.Selector = 0;
        cpu.SetSregs(sregs);
        cpu.SetRegs(new KvmRegs { Rip = at.Value, Rflags = 2, Rsp = 0x8000 });
    }

    /// <summary>64-bit mode with the first 4 GiB identity-mapped, RIP = <paramref name="address"/>.</summary>
    public static void LoadLongMode(Machine machine, byte[] code, uint vcpu = 0, GuestAddress? address = null)
    {
        GuestAddress at = address ?? CodeAddress;
        LongModeSetup.WriteTables(machine.Memory, gibibytes: 4);
        machine.Memory.Write(at, code);
        LongModeSetup.StartAt(machine.Vcpus[(int)vcpu].Vcpu, at, stack: 0x8000 + vcpu * 0x1000);
    }

    public static MachineExit RunToExit(Machine machine)
    {
        machine.Start();
        return machine.WaitForExit(TimeSpan.FromSeconds(30)) ?? throw new TimeoutException("the guest did not finish in 30 s");
    }
}
