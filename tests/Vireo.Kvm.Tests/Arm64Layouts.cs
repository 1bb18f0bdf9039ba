using Vireo.TestSupport;

namespace Vireo.Kvm.Tests;

/// <summary>Every struct the arm64 port passes to KVM, paired with its C name in arm64's
/// linux/kvm.h (which includes asm/kvm.h), including kvm_run as arm64 lays it out.</summary>
internal static class Arm64Layouts
{
    public static readonly CStructLayout[] All =
    [
        .. KvmLayouts.Shared,
        CStructLayout.Of<KvmVcpuInit>("struct kvm_vcpu_init")
            .Field("target", (ref KvmVcpuInit s) => ref s.Target)
            .Field("features", (ref KvmVcpuInit s) => ref s.Features),
        CStructLayout.Of<KvmOneReg>("struct kvm_one_reg")
            .Field("id", (ref KvmOneReg s) => ref s.Id).Field("addr", (ref KvmOneReg s) => ref s.Addr),
        CStructLayout.Of<KvmRegListHeader>("struct kvm_reg_list")
            .Field("n", (ref KvmRegListHeader s) => ref s.N)
            .FlexibleArray("reg", (ref KvmRegListHeader s) => ref s.FirstReg),
        CStructLayout.Of<KvmDeviceAttr>("struct kvm_device_attr")
            .Field("flags", (ref KvmDeviceAttr s) => ref s.Flags).Field("group", (ref KvmDeviceAttr s) => ref s.Group)
            .Field("attr", (ref KvmDeviceAttr s) => ref s.Attr).Field("addr", (ref KvmDeviceAttr s) => ref s.Addr),
        CStructLayout.Of<KvmCreateDevice>("struct kvm_create_device")
            .Field("type", (ref KvmCreateDevice s) => ref s.Type).Field("fd", (ref KvmCreateDevice s) => ref s.Fd)
            .Field("flags", (ref KvmCreateDevice s) => ref s.Flags),
        CStructLayout.Of<KvmSmcccFilter>("struct kvm_smccc_filter")
            .Field("base", (ref KvmSmcccFilter s) => ref s.Base)
            .Field("nr_functions", (ref KvmSmcccFilter s) => ref s.NrFunctions)
            .Field("action", (ref KvmSmcccFilter s) => ref s.Action),
        // debug.arch is left out: KvmRun models x86's kvm_debug_exit_arch, which arm64's differs from.
        CStructLayout.Of<KvmRun>("struct kvm_run")
            .Field("request_interrupt_window", (ref KvmRun s) => ref s.RequestInterruptWindow)
            .Field("immediate_exit", (ref KvmRun s) => ref s.ImmediateExit)
            .Field("exit_reason", (ref KvmRun s) => ref s.ExitReason)
            .Field("ready_for_interrupt_injection", (ref KvmRun s) => ref s.ReadyForInterruptInjection)
            .Field("if_flag", (ref KvmRun s) => ref s.IfFlag)
            .Field("flags", (ref KvmRun s) => ref s.Flags)
            .Field("cr8", (ref KvmRun s) => ref s.Cr8)
            .Field("apic_base", (ref KvmRun s) => ref s.ApicBase)
            .Field("hw.hardware_exit_reason", (ref KvmRun s) => ref s.HardwareExitReason)
            .Field("fail_entry.hardware_entry_failure_reason", (ref KvmRun s) => ref s.FailEntry.HardwareEntryFailureReason)
            .Field("fail_entry.cpu", (ref KvmRun s) => ref s.FailEntry.Cpu)
            .Field("io", (ref KvmRun s) => ref s.Io)
            .Field("mmio", (ref KvmRun s) => ref s.Mmio)
            .Field("mmio.phys_addr", (ref KvmRun s) => ref s.Mmio.PhysAddr)
            .Field("mmio.data", (ref KvmRun s) => ref s.Mmio.Data)
            .Field("mmio.len", (ref KvmRun s) => ref s.Mmio.Len)
            .Field("mmio.is_write", (ref KvmRun s) => ref s.Mmio.IsWrite)
            .Field("hypercall", (ref KvmRun s) => ref s.Hypercall)
            .Field("hypercall.nr", (ref KvmRun s) => ref s.Hypercall.Nr)
            .Field("hypercall.args", (ref KvmRun s) => ref s.Hypercall.Args)
            .Field("hypercall.ret", (ref KvmRun s) => ref s.Hypercall.Ret)
            .Field("hypercall.flags", (ref KvmRun s) => ref s.Hypercall.Flags)
            .Field("internal.suberror", (ref KvmRun s) => ref s.Internal.Suberror)
            .Field("internal.ndata", (ref KvmRun s) => ref s.Internal.Ndata)
            .Field("internal.data", (ref KvmRun s) => ref s.Internal.Data)
            .Field("system_event.type", (ref KvmRun s) => ref s.SystemEvent.Type)
            .Field("system_event.ndata", (ref KvmRun s) => ref s.SystemEvent.Ndata)
            .Field("system_event.data", (ref KvmRun s) => ref s.SystemEvent.Data)
            .Field("system_event.flags", (ref KvmRun s) => ref s.SystemEvent.Data[0])
            .Field("kvm_valid_regs", (ref KvmRun s) => ref s.KvmValidRegs)
            .Field("kvm_dirty_regs", (ref KvmRun s) => ref s.KvmDirtyRegs),
    ];
}
