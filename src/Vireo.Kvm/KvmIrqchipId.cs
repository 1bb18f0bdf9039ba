namespace Vireo.Kvm;

/// <summary>kvm_irqchip.chip_id values (asm/kvm.h KVM_IRQCHIP_*).</summary>
internal enum KvmIrqchipId : uint
{
    PicMaster = 0,
    PicSlave = 1,
    Ioapic = 2,
}
