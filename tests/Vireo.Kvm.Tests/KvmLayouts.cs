using Vireo.TestSupport;

namespace Vireo.Kvm.Tests;

/// <summary>Every modelled kernel struct and field, paired with its C name in linux/kvm.h.</summary>
internal static class KvmLayouts
{
    /// <summary>The structs whose layout is the same on every architecture's uAPI (checked on
    /// each: here against the host's headers, in <see cref="Arm64Layouts"/> against arm64's).</summary>
    public static readonly CStructLayout[] Shared =
    [
        CStructLayout.Of<KvmUserspaceMemoryRegion>("struct kvm_userspace_memory_region")
            .Field("slot", (ref KvmUserspaceMemoryRegion s) => ref s.Slot).Field("flags", (ref KvmUserspaceMemoryRegion s) => ref s.Flags)
            .Field("guest_phys_addr", (ref KvmUserspaceMemoryRegion s) => ref s.GuestPhysAddr)
            .Field("memory_size", (ref KvmUserspaceMemoryRegion s) => ref s.MemorySize)
            .Field("userspace_addr", (ref KvmUserspaceMemoryRegion s) => ref s.UserspaceAddr),
        CStructLayout.Of<KvmIrqLevel>("struct kvm_irq_level")
            .Field("irq", (ref KvmIrqLevel s) => ref s.Irq).Field("level", (ref KvmIrqLevel s) => ref s.Level),
        CStructLayout.Of<KvmIrqfd>("struct kvm_irqfd")
            .Field("fd", (ref KvmIrqfd s) => ref s.Fd).Field("gsi", (ref KvmIrqfd s) => ref s.Gsi)
            .Field("flags", (ref KvmIrqfd s) => ref s.Flags).Field("resamplefd", (ref KvmIrqfd s) => ref s.ResampleFd),
        CStructLayout.Of<KvmIoeventfd>("struct kvm_ioeventfd")
            .Field("datamatch", (ref KvmIoeventfd s) => ref s.Datamatch).Field("addr", (ref KvmIoeventfd s) => ref s.Addr)
            .Field("len", (ref KvmIoeventfd s) => ref s.Len).Field("fd", (ref KvmIoeventfd s) => ref s.Fd)
            .Field("flags", (ref KvmIoeventfd s) => ref s.Flags),
        CStructLayout.Of<KvmMpState>("struct kvm_mp_state")
            .Field("mp_state", (ref KvmMpState s) => ref s.MpState),
        CStructLayout.Of<KvmSignalMask>("struct kvm_signal_mask")
            .Field("len", (ref KvmSignalMask s) => ref s.Len)
            .FlexibleArray("sigset", (ref KvmSignalMask s) => ref s.Sigset),
    ];

    public static readonly CStructLayout[] All =
    [
        .. Shared,
        CStructLayout.Of<KvmRegs>("struct kvm_regs")
            .Field("rax", (ref KvmRegs s) => ref s.Rax).Field("rbx", (ref KvmRegs s) => ref s.Rbx)
            .Field("rcx", (ref KvmRegs s) => ref s.Rcx).Field("rdx", (ref KvmRegs s) => ref s.Rdx)
            .Field("rsi", (ref KvmRegs s) => ref s.Rsi).Field("rdi", (ref KvmRegs s) => ref s.Rdi)
            .Field("rsp", (ref KvmRegs s) => ref s.Rsp).Field("rbp", (ref KvmRegs s) => ref s.Rbp)
            .Field("r8", (ref KvmRegs s) => ref s.R8).Field("r9", (ref KvmRegs s) => ref s.R9)
            .Field("r10", (ref KvmRegs s) => ref s.R10).Field("r11", (ref KvmRegs s) => ref s.R11)
            .Field("r12", (ref KvmRegs s) => ref s.R12).Field("r13", (ref KvmRegs s) => ref s.R13)
            .Field("r14", (ref KvmRegs s) => ref s.R14).Field("r15", (ref KvmRegs s) => ref s.R15)
            .Field("rip", (ref KvmRegs s) => ref s.Rip).Field("rflags", (ref KvmRegs s) => ref s.Rflags),
        CStructLayout.Of<KvmSegment>("struct kvm_segment")
            .Field("base", (ref KvmSegment s) => ref s.Base).Field("limit", (ref KvmSegment s) => ref s.Limit)
            .Field("selector", (ref KvmSegment s) => ref s.Selector).Field("type", (ref KvmSegment s) => ref s.Type)
            .Field("present", (ref KvmSegment s) => ref s.Present).Field("dpl", (ref KvmSegment s) => ref s.Dpl)
            .Field("db", (ref KvmSegment s) => ref s.Db).Field("s", (ref KvmSegment s) => ref s.S)
            .Field("l", (ref KvmSegment s) => ref s.L).Field("g", (ref KvmSegment s) => ref s.G)
            .Field("avl", (ref KvmSegment s) => ref s.Avl).Field("unusable", (ref KvmSegment s) => ref s.Unusable),
        CStructLayout.Of<KvmDtable>("struct kvm_dtable")
            .Field("base", (ref KvmDtable s) => ref s.Base).Field("limit", (ref KvmDtable s) => ref s.Limit),
        CStructLayout.Of<KvmSregs>("struct kvm_sregs")
            .Field("cs", (ref KvmSregs s) => ref s.Cs).Field("ds", (ref KvmSregs s) => ref s.Ds)
            .Field("es", (ref KvmSregs s) => ref s.Es).Field("fs", (ref KvmSregs s) => ref s.Fs)
            .Field("gs", (ref KvmSregs s) => ref s.Gs).Field("ss", (ref KvmSregs s) => ref s.Ss)
            .Field("tr", (ref KvmSregs s) => ref s.Tr).Field("ldt", (ref KvmSregs s) => ref s.Ldt)
            .Field("gdt", (ref KvmSregs s) => ref s.Gdt).Field("idt", (ref KvmSregs s) => ref s.Idt)
            .Field("cr0", (ref KvmSregs s) => ref s.Cr0).Field("cr2", (ref KvmSregs s) => ref s.Cr2)
            .Field("cr3", (ref KvmSregs s) => ref s.Cr3).Field("cr4", (ref KvmSregs s) => ref s.Cr4)
            .Field("cr8", (ref KvmSregs s) => ref s.Cr8).Field("efer", (ref KvmSregs s) => ref s.Efer)
            .Field("apic_base", (ref KvmSregs s) => ref s.ApicBase)
            .Field("interrupt_bitmap", (ref KvmSregs s) => ref s.InterruptBitmap),
        CStructLayout.Of<KvmFpu>("struct kvm_fpu")
            .Field("fpr", (ref KvmFpu s) => ref s.Fpr).Field("fcw", (ref KvmFpu s) => ref s.Fcw)
            .Field("fsw", (ref KvmFpu s) => ref s.Fsw).Field("ftwx", (ref KvmFpu s) => ref s.Ftwx)
            .Field("pad1", (ref KvmFpu s) => ref s.Pad1).Field("last_opcode", (ref KvmFpu s) => ref s.LastOpcode)
            .Field("last_ip", (ref KvmFpu s) => ref s.LastIp).Field("last_dp", (ref KvmFpu s) => ref s.LastDp)
            .Field("xmm", (ref KvmFpu s) => ref s.Xmm).Field("mxcsr", (ref KvmFpu s) => ref s.Mxcsr)
            .Field("pad2", (ref KvmFpu s) => ref s.Pad2),
        CStructLayout.Of<KvmXsave>("struct kvm_xsave")
            .Field("region", (ref KvmXsave s) => ref s.Region),
        CStructLayout.Of<KvmXcr>("struct kvm_xcr")
            .Field("xcr", (ref KvmXcr s) => ref s.Xcr).Field("reserved", (ref KvmXcr s) => ref s.Reserved)
            .Field("value", (ref KvmXcr s) => ref s.Value),
        CStructLayout.Of<KvmXcrs>("struct kvm_xcrs")
            .Field("nr_xcrs", (ref KvmXcrs s) => ref s.NrXcrs).Field("flags", (ref KvmXcrs s) => ref s.Flags)
            .Field("xcrs", (ref KvmXcrs s) => ref s.Xcrs),
        CStructLayout.Of<KvmMsrEntry>("struct kvm_msr_entry")
            .Field("index", (ref KvmMsrEntry s) => ref s.Index).Field("reserved", (ref KvmMsrEntry s) => ref s.Reserved)
            .Field("data", (ref KvmMsrEntry s) => ref s.Data),
        CStructLayout.Of<KvmMsrsHeader>("struct kvm_msrs")
            .Field("nmsrs", (ref KvmMsrsHeader s) => ref s.Nmsrs).Field("pad", (ref KvmMsrsHeader s) => ref s.Pad),
        CStructLayout.Of<KvmMsrListHeader>("struct kvm_msr_list")
            .Field("nmsrs", (ref KvmMsrListHeader s) => ref s.Nmsrs),
        CStructLayout.Of<KvmCpuidEntry2>("struct kvm_cpuid_entry2")
            .Field("function", (ref KvmCpuidEntry2 s) => ref s.Function).Field("index", (ref KvmCpuidEntry2 s) => ref s.Index)
            .Field("flags", (ref KvmCpuidEntry2 s) => ref s.Flags).Field("eax", (ref KvmCpuidEntry2 s) => ref s.Eax)
            .Field("ebx", (ref KvmCpuidEntry2 s) => ref s.Ebx).Field("ecx", (ref KvmCpuidEntry2 s) => ref s.Ecx)
            .Field("edx", (ref KvmCpuidEntry2 s) => ref s.Edx),
        CStructLayout.Of<KvmCpuid2Header>("struct kvm_cpuid2")
            .Field("nent", (ref KvmCpuid2Header s) => ref s.Nent).Field("padding", (ref KvmCpuid2Header s) => ref s.Padding),
        CStructLayout.Of<KvmLapicState>("struct kvm_lapic_state")
            .Field("regs", (ref KvmLapicState s) => ref s.Regs),
        CStructLayout.Of<KvmVcpuEvents>("struct kvm_vcpu_events")
            .Field("exception.injected", (ref KvmVcpuEvents s) => ref s.ExceptionInjected)
            .Field("exception.nr", (ref KvmVcpuEvents s) => ref s.ExceptionNr)
            .Field("exception.has_error_code", (ref KvmVcpuEvents s) => ref s.ExceptionHasErrorCode)
            .Field("exception.pending", (ref KvmVcpuEvents s) => ref s.ExceptionPending)
            .Field("exception.error_code", (ref KvmVcpuEvents s) => ref s.ExceptionErrorCode)
            .Field("interrupt.injected", (ref KvmVcpuEvents s) => ref s.InterruptInjected)
            .Field("interrupt.nr", (ref KvmVcpuEvents s) => ref s.InterruptNr)
            .Field("interrupt.soft", (ref KvmVcpuEvents s) => ref s.InterruptSoft)
            .Field("interrupt.shadow", (ref KvmVcpuEvents s) => ref s.InterruptShadow)
            .Field("nmi.injected", (ref KvmVcpuEvents s) => ref s.NmiInjected)
            .Field("nmi.pending", (ref KvmVcpuEvents s) => ref s.NmiPending)
            .Field("nmi.masked", (ref KvmVcpuEvents s) => ref s.NmiMasked)
            .Field("sipi_vector", (ref KvmVcpuEvents s) => ref s.SipiVector)
            .Field("flags", (ref KvmVcpuEvents s) => ref s.Flags)
            .Field("smi.smm", (ref KvmVcpuEvents s) => ref s.SmiSmm)
            .Field("smi.pending", (ref KvmVcpuEvents s) => ref s.SmiPending)
            .Field("smi.smm_inside_nmi", (ref KvmVcpuEvents s) => ref s.SmiSmmInsideNmi)
            .Field("smi.latched_init", (ref KvmVcpuEvents s) => ref s.SmiLatchedInit)
            .Field("triple_fault.pending", (ref KvmVcpuEvents s) => ref s.TripleFaultPending)
            .Field("exception_has_payload", (ref KvmVcpuEvents s) => ref s.ExceptionHasPayload)
            .Field("exception_payload", (ref KvmVcpuEvents s) => ref s.ExceptionPayload),
        CStructLayout.Of<KvmDebugregs>("struct kvm_debugregs")
            .Field("db", (ref KvmDebugregs s) => ref s.Db).Field("dr6", (ref KvmDebugregs s) => ref s.Dr6)
            .Field("dr7", (ref KvmDebugregs s) => ref s.Dr7).Field("flags", (ref KvmDebugregs s) => ref s.Flags),
        CStructLayout.Of<KvmPicState>("struct kvm_pic_state")
            .Field("last_irr", (ref KvmPicState s) => ref s.LastIrr).Field("irr", (ref KvmPicState s) => ref s.Irr)
            .Field("imr", (ref KvmPicState s) => ref s.Imr).Field("isr", (ref KvmPicState s) => ref s.Isr)
            .Field("priority_add", (ref KvmPicState s) => ref s.PriorityAdd).Field("irq_base", (ref KvmPicState s) => ref s.IrqBase)
            .Field("read_reg_select", (ref KvmPicState s) => ref s.ReadRegSelect).Field("poll", (ref KvmPicState s) => ref s.Poll)
            .Field("special_mask", (ref KvmPicState s) => ref s.SpecialMask).Field("init_state", (ref KvmPicState s) => ref s.InitState)
            .Field("auto_eoi", (ref KvmPicState s) => ref s.AutoEoi).Field("rotate_on_auto_eoi", (ref KvmPicState s) => ref s.RotateOnAutoEoi)
            .Field("special_fully_nested_mode", (ref KvmPicState s) => ref s.SpecialFullyNestedMode)
            .Field("init4", (ref KvmPicState s) => ref s.Init4).Field("elcr", (ref KvmPicState s) => ref s.Elcr)
            .Field("elcr_mask", (ref KvmPicState s) => ref s.ElcrMask),
        CStructLayout.Of<KvmIoapicState>("struct kvm_ioapic_state")
            .Field("base_address", (ref KvmIoapicState s) => ref s.BaseAddress).Field("ioregsel", (ref KvmIoapicState s) => ref s.Ioregsel)
            .Field("id", (ref KvmIoapicState s) => ref s.Id).Field("irr", (ref KvmIoapicState s) => ref s.Irr)
            .Field("pad", (ref KvmIoapicState s) => ref s.Pad).Field("redirtbl", (ref KvmIoapicState s) => ref s.Redirtbl),
        CStructLayout.Of<KvmIrqchip>("struct kvm_irqchip")
            .Field("chip_id", (ref KvmIrqchip s) => ref s.ChipId).Field("pad", (ref KvmIrqchip s) => ref s.Pad)
            .Field("chip.pic", (ref KvmIrqchip s) => ref s.Pic).Field("chip.ioapic", (ref KvmIrqchip s) => ref s.Ioapic),
        CStructLayout.Of<KvmPitChannelState>("struct kvm_pit_channel_state")
            .Field("count", (ref KvmPitChannelState s) => ref s.Count).Field("latched_count", (ref KvmPitChannelState s) => ref s.LatchedCount)
            .Field("count_latched", (ref KvmPitChannelState s) => ref s.CountLatched).Field("status_latched", (ref KvmPitChannelState s) => ref s.StatusLatched)
            .Field("status", (ref KvmPitChannelState s) => ref s.Status).Field("read_state", (ref KvmPitChannelState s) => ref s.ReadState)
            .Field("write_state", (ref KvmPitChannelState s) => ref s.WriteState).Field("write_latch", (ref KvmPitChannelState s) => ref s.WriteLatch)
            .Field("rw_mode", (ref KvmPitChannelState s) => ref s.RwMode).Field("mode", (ref KvmPitChannelState s) => ref s.Mode)
            .Field("bcd", (ref KvmPitChannelState s) => ref s.Bcd).Field("gate", (ref KvmPitChannelState s) => ref s.Gate)
            .Field("count_load_time", (ref KvmPitChannelState s) => ref s.CountLoadTime),
        CStructLayout.Of<KvmPitState2>("struct kvm_pit_state2")
            .Field("channels", (ref KvmPitState2 s) => ref s.Channels)
            .Field("channels[1]", (ref KvmPitState2 s) => ref s.Channels[1])
            .Field("flags", (ref KvmPitState2 s) => ref s.Flags),
        CStructLayout.Of<KvmPitConfig>("struct kvm_pit_config")
            .Field("flags", (ref KvmPitConfig s) => ref s.Flags),
        CStructLayout.Of<KvmClockData>("struct kvm_clock_data")
            .Field("clock", (ref KvmClockData s) => ref s.Clock).Field("flags", (ref KvmClockData s) => ref s.Flags)
            .Field("pad0", (ref KvmClockData s) => ref s.Pad0).Field("realtime", (ref KvmClockData s) => ref s.Realtime)
            .Field("host_tsc", (ref KvmClockData s) => ref s.HostTsc),
        CStructLayout.Of<KvmCoalescedMmioZone>("struct kvm_coalesced_mmio_zone")
            .Field("addr", (ref KvmCoalescedMmioZone s) => ref s.Addr).Field("size", (ref KvmCoalescedMmioZone s) => ref s.Size)
            .Field("pio", (ref KvmCoalescedMmioZone s) => ref s.Pio),
        CStructLayout.Of<KvmCoalescedMmio>("struct kvm_coalesced_mmio")
            .Field("phys_addr", (ref KvmCoalescedMmio s) => ref s.PhysAddr).Field("len", (ref KvmCoalescedMmio s) => ref s.Len)
            .Field("pio", (ref KvmCoalescedMmio s) => ref s.Pio).Field("data", (ref KvmCoalescedMmio s) => ref s.Data),
        CStructLayout.Of<KvmCoalescedMmioRing>("struct kvm_coalesced_mmio_ring")
            .Field("first", (ref KvmCoalescedMmioRing s) => ref s.First).Field("last", (ref KvmCoalescedMmioRing s) => ref s.Last),
        CStructLayout.Of<KvmIrqRoutingIrqchip>("struct kvm_irq_routing_irqchip")
            .Field("irqchip", (ref KvmIrqRoutingIrqchip s) => ref s.Irqchip).Field("pin", (ref KvmIrqRoutingIrqchip s) => ref s.Pin),
        CStructLayout.Of<KvmIrqRoutingMsi>("struct kvm_irq_routing_msi")
            .Field("address_lo", (ref KvmIrqRoutingMsi s) => ref s.AddressLo).Field("address_hi", (ref KvmIrqRoutingMsi s) => ref s.AddressHi)
            .Field("data", (ref KvmIrqRoutingMsi s) => ref s.Data).Field("devid", (ref KvmIrqRoutingMsi s) => ref s.DevId),
        CStructLayout.Of<KvmIrqRoutingEntry>("struct kvm_irq_routing_entry")
            .Field("gsi", (ref KvmIrqRoutingEntry s) => ref s.GsiField).Field("type", (ref KvmIrqRoutingEntry s) => ref s.Type)
            .Field("flags", (ref KvmIrqRoutingEntry s) => ref s.Flags)
            .Field("u.irqchip", (ref KvmIrqRoutingEntry s) => ref s.Irqchip).Field("u.msi", (ref KvmIrqRoutingEntry s) => ref s.Msi),
        CStructLayout.Of<KvmIrqRoutingHeader>("struct kvm_irq_routing")
            .Field("nr", (ref KvmIrqRoutingHeader s) => ref s.Nr).Field("flags", (ref KvmIrqRoutingHeader s) => ref s.Flags),
        CStructLayout.Of<KvmDebugExitArch>("struct kvm_debug_exit_arch")
            .Field("exception", (ref KvmDebugExitArch s) => ref s.Exception).Field("pad", (ref KvmDebugExitArch s) => ref s.Pad)
            .Field("pc", (ref KvmDebugExitArch s) => ref s.Pc).Field("dr6", (ref KvmDebugExitArch s) => ref s.Dr6)
            .Field("dr7", (ref KvmDebugExitArch s) => ref s.Dr7),
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
            .Field("io.direction", (ref KvmRun s) => ref s.Io.Direction)
            .Field("io.size", (ref KvmRun s) => ref s.Io.Size)
            .Field("io.port", (ref KvmRun s) => ref s.Io.Port)
            .Field("io.count", (ref KvmRun s) => ref s.Io.Count)
            .Field("io.data_offset", (ref KvmRun s) => ref s.Io.DataOffset)
            .Field("debug.arch", (ref KvmRun s) => ref s.Debug)
            .Field("mmio", (ref KvmRun s) => ref s.Mmio)
            .Field("mmio.phys_addr", (ref KvmRun s) => ref s.Mmio.PhysAddr)
            .Field("mmio.data", (ref KvmRun s) => ref s.Mmio.Data)
            .Field("mmio.len", (ref KvmRun s) => ref s.Mmio.Len)
            .Field("mmio.is_write", (ref KvmRun s) => ref s.Mmio.IsWrite)
            .Field("hypercall.nr", (ref KvmRun s) => ref s.Hypercall.Nr)
            .Field("hypercall.args", (ref KvmRun s) => ref s.Hypercall.Args)
            .Field("hypercall.ret", (ref KvmRun s) => ref s.Hypercall.Ret)
            .Field("internal.suberror", (ref KvmRun s) => ref s.Internal.Suberror)
            .Field("internal.ndata", (ref KvmRun s) => ref s.Internal.Ndata)
            .Field("internal.data", (ref KvmRun s) => ref s.Internal.Data)
            .Field("system_event.type", (ref KvmRun s) => ref s.SystemEvent.Type)
            .Field("system_event.ndata", (ref KvmRun s) => ref s.SystemEvent.Ndata)
            .Field("system_event.data", (ref KvmRun s) => ref s.SystemEvent.Data)
            .Field("kvm_valid_regs", (ref KvmRun s) => ref s.KvmValidRegs)
            .Field("kvm_dirty_regs", (ref KvmRun s) => ref s.KvmDirtyRegs),
    ];
}
