namespace Vireo.Kvm;

/// <summary>Flag and type values from linux/kvm.h that Vireo passes to the kernel.</summary>
internal static class KvmConstants
{
    // linux/kvm.h: KVM_API_VERSION
    internal const int ApiVersion = 12;

    // linux/kvm.h: KVM_MEM_LOG_DIRTY_PAGES, KVM_MEM_READONLY
    internal const uint MemLogDirtyPages = 1u << 0;
    internal const uint MemReadOnly = 1u << 1;

    // linux/kvm.h: KVM_EXIT_IO_IN / KVM_EXIT_IO_OUT (kvm_run.io.direction)
    internal const byte ExitIoIn = 0;
    internal const byte ExitIoOut = 1;

    // linux/kvm.h: KVM_IRQFD_FLAG_DEASSIGN, KVM_IRQFD_FLAG_RESAMPLE
    internal const uint IrqfdFlagDeassign = 1u << 0;
    internal const uint IrqfdFlagResample = 1u << 1;

    // linux/kvm.h: KVM_IOEVENTFD_FLAG_* (bit numbers from enum kvm_ioeventfd_flag_nr_*)
    internal const uint IoeventfdFlagDatamatch = 1u << 0;
    internal const uint IoeventfdFlagPio = 1u << 1;
    internal const uint IoeventfdFlagDeassign = 1u << 2;

    // linux/kvm.h: KVM_IRQ_ROUTING_IRQCHIP, KVM_IRQ_ROUTING_MSI
    internal const uint IrqRoutingIrqchip = 1;
    internal const uint IrqRoutingMsi = 2;
    internal const uint MsiValidDevid = 1;

    // asm/kvm.h: KVM_APIC_REG_SIZE, KVM_IOAPIC_NUM_PINS, KVM_MAX_XCRS
    internal const int ApicRegSize = 0x400;
    internal const int IoapicNumPins = 24;
    internal const int MaxXcrs = 16;
}
