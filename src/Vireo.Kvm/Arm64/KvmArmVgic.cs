namespace Vireo.Kvm;

/// <summary>Attribute groups and attributes of the in-kernel GIC (<see cref="KvmDeviceType.ArmVgicV3"/>,
/// arm64 asm/kvm.h), for <see cref="KvmDevice"/>'s attribute calls. Order of setup: create the
/// device, set both base addresses and the number of IRQs, create every vCPU, then
/// <see cref="CtrlInit"/>. The register groups (<see cref="GroupDistRegs"/>, <see cref="GroupRedistRegs"/>,
/// <see cref="GroupCpuSysregs"/>, <see cref="GroupLevelInfo"/>) are the GIC's state as userspace
/// saves and restores it (Documentation/virt/kvm/devices/arm-vgic-v3.rst; see
/// <see cref="KvmVgicV3State"/>).</summary>
public static class KvmArmVgic
{
    /// <summary>KVM_DEV_ARM_VGIC_GRP_ADDR: base addresses (a u64 value), attr one of the address types.</summary>
    public const uint GroupAddr = 0;

    /// <summary>KVM_DEV_ARM_VGIC_GRP_DIST_REGS: a distributor register (a u32 value; 64-bit registers
    /// as two halves), attr <see cref="RegisterAttr"/> with the offset from the distributor's base.</summary>
    public const uint GroupDistRegs = 1;

    /// <summary>KVM_DEV_ARM_VGIC_GRP_NR_IRQS: the number of interrupt IDs, SGIs and PPIs included
    /// (a u32 value, a multiple of 32 and at least 64; attr 0).</summary>
    public const uint GroupNrIrqs = 3;

    /// <summary>KVM_DEV_ARM_VGIC_GRP_CTRL: control operations, attr one of the CTRL_* values.</summary>
    public const uint GroupCtrl = 4;

    /// <summary>KVM_DEV_ARM_VGIC_GRP_REDIST_REGS: a register of one vCPU's redistributor (a u32 value),
    /// attr <see cref="RegisterAttr"/> with that vCPU's affinity and the offset from its
    /// redistributor's base (the SGI frame at <see cref="RedistSgiFrame"/>).</summary>
    public const uint GroupRedistRegs = 5;

    /// <summary>KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS: an ICC_* register of one vCPU's CPU interface (a u64
    /// value), attr <see cref="SysregAttr"/>.</summary>
    public const uint GroupCpuSysregs = 6;

    /// <summary>KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO: the input levels of 32 interrupt lines (a u32 bitmap,
    /// bit n for INTID + n), attr <see cref="LineLevelAttr"/>.</summary>
    public const uint GroupLevelInfo = 7;

    /// <summary>KVM_DEV_ARM_VGIC_V3_MPIDR_SHIFT: where the affinity sits in a register attr.</summary>
    public const int MpidrShift = 32;

    /// <summary>KVM_DEV_ARM_VGIC_V3_MPIDR_MASK.</summary>
    public const ulong MpidrMask = 0xffff_ffffUL << MpidrShift;

    /// <summary>KVM_DEV_ARM_VGIC_OFFSET_MASK: the register offset in a register attr.</summary>
    public const ulong OffsetMask = 0xffff_ffffUL;

    /// <summary>KVM_DEV_ARM_VGIC_SYSREG_INSTR_MASK: the op0/op1/CRn/CRm/op2 encoding in a sysreg attr.</summary>
    public const ulong SysregInstructionMask = 0xffff;

    /// <summary>KVM_DEV_ARM_VGIC_LINE_LEVEL_INFO_SHIFT: where the info selector sits in a level-info attr.</summary>
    public const int LineLevelInfoShift = 10;

    /// <summary>KVM_DEV_ARM_VGIC_LINE_LEVEL_INFO_MASK.</summary>
    public const ulong LineLevelInfoMask = 0x3f_ffffUL << LineLevelInfoShift;

    /// <summary>KVM_DEV_ARM_VGIC_LINE_LEVEL_INTID_MASK: the first INTID of the 32 a level-info attr covers.</summary>
    public const ulong LineLevelIntidMask = 0x3ff;

    /// <summary>VGIC_LEVEL_INFO_LINE_LEVEL: the info selector for the lines' input levels.</summary>
    public const uint LevelInfoLineLevel = 0;

    /// <summary>The offset of a redistributor's SGI_base frame from its RD_base (GICv3 spec, IHI 0069, the redistributor memory map: the
    /// second 64 KiB frame holds the SGI and PPI registers).</summary>
    public const uint RedistSgiFrame = 0x1_0000;

    /// <summary>KVM_DEV_ARM_VGIC_CTRL_INIT: initialize the GIC (no value), after every vCPU exists.</summary>
    public const ulong CtrlInit = 0;

    /// <summary>KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES (group <see cref="GroupCtrl"/> of the GICv3):
    /// writes every LPI's pending bit into the guest's pending tables (GICR_PENDBASER), so a
    /// snapshot of guest RAM holds them; only while no vCPU runs.</summary>
    public const ulong CtrlSavePendingTables = 3;

    /// <summary>KVM_DEV_ARM_VGIC_GRP_ITS_REGS: an ITS's registers by their offset in its control
    /// frame, each read and written as 64 bits whatever its width (arm-vgic-its.rst).</summary>
    public const uint GroupItsRegs = 8;

    /// <summary>KVM_DEV_ARM_ITS_SAVE_TABLES (group <see cref="GroupCtrl"/> of an ITS): writes the
    /// ITS's device, collection and translation tables into the guest RAM its GITS_BASERs name.</summary>
    public const ulong ItsCtrlSaveTables = 1;

    /// <summary>KVM_DEV_ARM_ITS_RESTORE_TABLES (group <see cref="GroupCtrl"/> of an ITS): reads
    /// those tables back from guest RAM into a new ITS.</summary>
    public const ulong ItsCtrlRestoreTables = 2;

    /// <summary>KVM_VGIC_V3_ADDR_TYPE_DIST: the distributor's base (64 KiB, 64 KiB aligned).</summary>
    public const ulong V3AddrTypeDist = 2;

    /// <summary>KVM_VGIC_V3_ADDR_TYPE_REDIST: the base of the redistributors, 128 KiB per vCPU,
    /// contiguous in vCPU order.</summary>
    public const ulong V3AddrTypeRedist = 3;

    /// <summary>KVM_VGIC_ITS_ADDR_TYPE: an ITS's base (<see cref="KvmDeviceType.ArmVgicIts"/>;
    /// 128 KiB, 64 KiB aligned: its control and translation frames).</summary>
    public const ulong ItsAddrType = 4;

    /// <summary>The affinity of <paramref name="mpidrEl1"/> (a vCPU's MPIDR_EL1, as KVM_GET_ONE_REG reads
    /// it) in the field KVM's register attrs carry in bits 63-32: Aff3 in 63-56, Aff2 in 55-48, Aff1 in
    /// 47-40, Aff0 in 39-32 (arm-vgic-v3.rst). MPIDR_EL1 keeps Aff3 apart, in bits 39-32, above U and
    /// MT; those and the RES1 bit are not part of the affinity and are dropped.</summary>
    public static ulong MpidrAttr(ulong mpidrEl1)
    {
        ulong aff0 = mpidrEl1 & 0xff;
        ulong aff1 = (mpidrEl1 >> 8) & 0xff;
        ulong aff2 = (mpidrEl1 >> 16) & 0xff;
        ulong aff3 = (mpidrEl1 >> 32) & 0xff;
        return ((aff3 << 24) | (aff2 << 16) | (aff1 << 8) | aff0) << MpidrShift;
    }

    /// <summary>The attr of the register at <paramref name="offset"/> in <see cref="GroupDistRegs"/> (where the
    /// affinity is ignored; pass 0) or in the redistributor of the vCPU with <paramref name="mpidrEl1"/>
    /// (<see cref="GroupRedistRegs"/>). Offsets are 32-bit aligned: KVM accesses these registers by word.</summary>
    public static ulong RegisterAttr(ulong mpidrEl1, uint offset)
    {
        if (offset % 4 != 0)
        {
            throw new ArgumentException($"GIC register offset 0x{offset:x} is not a multiple of 4", nameof(offset));
        }
        return MpidrAttr(mpidrEl1) | offset;
    }

    /// <summary>The instr field of a <see cref="GroupCpuSysregs"/> attr: the A64 system register encoding
    /// op0 (bits 15-14), op1 (13-11), CRn (10-7), CRm (6-3), op2 (2-0), each field range-checked.</summary>
    public static ushort SysregInstruction(int op0, int op1, int crn, int crm, int op2)
        => (ushort)KvmArm64Registers.IndexOf(KvmArm64Registers.SystemRegister(op0, op1, crn, crm, op2));

    /// <summary>The attr of the ICC_* register <paramref name="instruction"/> (<see cref="SysregInstruction"/>)
    /// of the vCPU with <paramref name="mpidrEl1"/>.</summary>
    public static ulong SysregAttr(ulong mpidrEl1, ushort instruction) => MpidrAttr(mpidrEl1) | instruction;

    /// <summary>The <see cref="GroupLevelInfo"/> attr for the input levels of INTIDs
    /// <paramref name="intid"/> to <paramref name="intid"/> + 31 (<paramref name="intid"/> a multiple
    /// of 32 below 1024) seen by the vCPU with <paramref name="mpidrEl1"/> (SPIs read the same from every vCPU).</summary>
    public static ulong LineLevelAttr(ulong mpidrEl1, uint intid)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(intid, (uint)LineLevelIntidMask);
        if (intid % 32 != 0)
        {
            throw new ArgumentException($"level info INTID {intid} is not a multiple of 32", nameof(intid));
        }
        return MpidrAttr(mpidrEl1) | ((ulong)LevelInfoLineLevel << LineLevelInfoShift) | intid;
    }
}
