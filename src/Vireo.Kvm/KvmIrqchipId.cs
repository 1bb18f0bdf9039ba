namespace Vireo.Kvm;

/// <summary>The in-kernel interrupt controllers, as kvm_irqchip.chip_id and
/// kvm_irq_routing_irqchip.irqchip number them (asm/kvm.h KVM_IRQCHIP_*). An arm64 VM's one
/// irqchip, the vGIC, is number 0 too (<see cref="KvmDefaultIrqRouting.GicIrqchip"/>).</summary>
public enum KvmIrqchipId : uint
{
    /// <summary>KVM_IRQCHIP_PIC_MASTER: the 8259 serving IRQs 0-7.</summary>
    PicMaster = 0,

    /// <summary>KVM_IRQCHIP_PIC_SLAVE: the 8259 serving IRQs 8-15.</summary>
    PicSlave = 1,

    /// <summary>KVM_IRQCHIP_IOAPIC: the 24-pin IOAPIC.</summary>
    Ioapic = 2,
}
