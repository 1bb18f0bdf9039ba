namespace Vireo.Kvm;

/// <summary>One saved register of the in-kernel GICv3: its attribute group (one of
/// <see cref="KvmArmVgic.GroupDistRegs"/>, <see cref="KvmArmVgic.GroupRedistRegs"/>,
/// <see cref="KvmArmVgic.GroupCpuSysregs"/>, <see cref="KvmArmVgic.GroupLevelInfo"/>), its attr in
/// that group, and its value (32 bits wide in every group but the CPU sysregs, which are 64).</summary>
/// <param name="Group">The KVM_DEV_ARM_VGIC_GRP_* group.</param>
/// <param name="Attr">The attr within the group (affinity, offset or instruction, INTID).</param>
/// <param name="Value">The register's value.</param>
public readonly record struct KvmVgicV3Register(uint Group, ulong Attr, ulong Value);
