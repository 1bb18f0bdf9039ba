namespace Vireo.Kvm;

/// <summary>Attribute groups and attributes of the in-kernel GIC (<see cref="KvmDeviceType.ArmVgicV3"/>,
/// arm64 asm/kvm.h), for <see cref="KvmDevice"/>'s attribute calls. Order of setup: create the
/// device, set both base addresses and the number of IRQs, create every vCPU, then
/// <see cref="CtrlInit"/>.</summary>
public static class KvmArmVgic
{
    /// <summary>KVM_DEV_ARM_VGIC_GRP_ADDR: base addresses (a u64 value), attr one of the address types.</summary>
    public const uint GroupAddr = 0;

    /// <summary>KVM_DEV_ARM_VGIC_GRP_NR_IRQS: the number of interrupt IDs, SGIs and PPIs included
    /// (a u32 value, a multiple of 32 and at least 64; attr 0).</summary>
    public const uint GroupNrIrqs = 3;

    /// <summary>KVM_DEV_ARM_VGIC_GRP_CTRL: control operations, attr one of the CTRL_* values.</summary>
    public const uint GroupCtrl = 4;

    /// <summary>KVM_DEV_ARM_VGIC_CTRL_INIT: initialize the GIC (no value), after every vCPU exists.</summary>
    public const ulong CtrlInit = 0;

    /// <summary>KVM_VGIC_V3_ADDR_TYPE_DIST: the distributor's base (64 KiB, 64 KiB aligned).</summary>
    public const ulong V3AddrTypeDist = 2;

    /// <summary>KVM_VGIC_V3_ADDR_TYPE_REDIST: the base of the redistributors, 128 KiB per vCPU,
    /// contiguous in vCPU order.</summary>
    public const ulong V3AddrTypeRedist = 3;
}
