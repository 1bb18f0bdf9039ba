namespace Vireo.Kvm;

/// <summary>KVM_DEV_TYPE_* (linux/kvm.h enum kvm_device_type) for <see cref="KvmVm.CreateDevice"/>.
/// Member names are the macro names in PascalCase; the layout tests check every value.</summary>
public enum KvmDeviceType : uint
{
    /// <summary>KVM_DEV_TYPE_VFIO: the KVM-VFIO pseudo device.</summary>
    Vfio = 4,
    /// <summary>KVM_DEV_TYPE_ARM_VGIC_V2.</summary>
    ArmVgicV2 = 5,
    /// <summary>KVM_DEV_TYPE_ARM_VGIC_V3: the in-kernel GICv3 (distributor and redistributors).</summary>
    ArmVgicV3 = 7,
    /// <summary>KVM_DEV_TYPE_ARM_VGIC_ITS: a GICv3 ITS, for MSIs.</summary>
    ArmVgicIts = 8,
    /// <summary>KVM_DEV_TYPE_ARM_PV_TIME: stolen-time accounting.</summary>
    ArmPvTime = 10,
}
