using Vireo.TestSupport;

namespace Vireo.Kvm.Tests;

/// <summary>Compiles one probe over arm64's linux/kvm.h (Linux 6.12's uAPI, with
/// aarch64-linux-gnu-gcc, run under qemu-aarch64) for the whole test class: every struct in
/// <see cref="Arm64Layouts"/>, every ioctl in <see cref="Ioctls"/>, and every constant and
/// register id in <see cref="Constants"/>, where the expected side is a C macro or a C expression
/// over the header's own macros.</summary>
public sealed class Arm64AbiOracleFixture
{
    private readonly Lazy<CLayoutOracle> _oracle;

    public Arm64AbiOracleFixture()
    {
        // Lazy, so a host without the cross toolchain skips the tests instead of failing the fixture.
        _oracle = new Lazy<CLayoutOracle>(() => CLayoutOracle.Run(
            CTarget.Aarch64,
            ["linux/kvm.h"],
            Arm64Layouts.All,
            Ioctls.Select(i => i.Macro).Concat(Constants.Select(c => c.Macro))));
    }

    public CLayoutOracle Oracle => _oracle.Value;

    /// <summary>Each ioctl the arm64 machine uses (the arm64 ones and the generic ones it shares
    /// with x86) and the number Vireo.Kvm computed.</summary>
    internal static readonly (string Macro, nuint Value)[] Ioctls =
    [
        ("KVM_GET_API_VERSION", KvmIoctls.GetApiVersion),
        ("KVM_CREATE_VM", KvmIoctls.CreateVm),
        ("KVM_CHECK_EXTENSION", KvmIoctls.CheckExtension),
        ("KVM_GET_VCPU_MMAP_SIZE", KvmIoctls.GetVcpuMmapSize),
        ("KVM_CREATE_VCPU", KvmIoctls.CreateVcpu),
        ("KVM_SET_USER_MEMORY_REGION", KvmIoctls.SetUserMemoryRegion),
        ("KVM_IRQ_LINE", KvmIoctls.IrqLine),
        ("KVM_IRQFD", KvmIoctls.Irqfd),
        ("KVM_IOEVENTFD", KvmIoctls.Ioeventfd),
        ("KVM_RUN", KvmIoctls.Run),
        ("KVM_SET_SIGNAL_MASK", KvmIoctls.SetSignalMask),
        ("KVM_GET_MP_STATE", KvmIoctls.GetMpState),
        ("KVM_SET_MP_STATE", KvmIoctls.SetMpState),
        ("KVM_ARM_PREFERRED_TARGET", KvmIoctls.ArmPreferredTarget),
        ("KVM_ARM_VCPU_INIT", KvmIoctls.ArmVcpuInit),
        ("KVM_ARM_VCPU_FINALIZE", KvmIoctls.ArmVcpuFinalize),
        ("KVM_GET_ONE_REG", KvmIoctls.GetOneReg),
        ("KVM_SET_ONE_REG", KvmIoctls.SetOneReg),
        ("KVM_GET_REG_LIST", KvmIoctls.GetRegList),
        ("KVM_CREATE_DEVICE", KvmIoctls.CreateDevice),
        ("KVM_SET_DEVICE_ATTR", KvmIoctls.SetDeviceAttr),
        ("KVM_GET_DEVICE_ATTR", KvmIoctls.GetDeviceAttr),
        ("KVM_HAS_DEVICE_ATTR", KvmIoctls.HasDeviceAttr),
    ];

    private const string Core64 = "KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | KVM_REG_ARM_CORE_REG";

    /// <summary>Each constant, or C expression over the header's macros, and the value Vireo.Kvm
    /// uses or builds. Enum members are listed by name as in <see cref="KvmAbiOracleFixture"/>.</summary>
    internal static readonly (string Macro, ulong Value)[] Constants =
    [
        ("KVMIO", KvmIoctls.KvmIo),
        ("__aarch64__", 1),

        // Register id fields.
        ("KVM_REG_ARCH_MASK", KvmArm64Registers.ArchMask),
        ("KVM_REG_ARM64", KvmArm64Registers.Arm64),
        ("KVM_REG_SIZE_SHIFT", KvmArm64Registers.SizeShift),
        ("KVM_REG_SIZE_MASK", KvmArm64Registers.SizeMask),
        ("KVM_REG_SIZE_U32", KvmArm64Registers.SizeU32),
        ("KVM_REG_SIZE_U64", KvmArm64Registers.SizeU64),
        ("KVM_REG_SIZE_U128", KvmArm64Registers.SizeU128),
        ("KVM_REG_ARM_COPROC_SHIFT", KvmArm64Registers.CoprocShift),
        ("KVM_REG_ARM_COPROC_MASK", KvmArm64Registers.CoprocMask),
        ("KVM_REG_ARM_CORE", KvmArm64Registers.Core),
        ("KVM_REG_ARM64_SYSREG", KvmArm64Registers.SystemRegisters),
        ("KVM_REG_ARM_FW", KvmArm64Registers.Firmware),
        ("KVM_REG_ARM_FW_FEAT_BMAP", KvmArm64Registers.FirmwareFeatureBitmap),

        // Core registers: the helper against KVM_REG_ARM_CORE_REG's offsetof in struct kvm_regs.
        .. Enumerable.Range(0, 31).Select(n => ($"{Core64}(regs.regs[{n}])", KvmArm64Registers.X(n))),
        ($"{Core64}(regs.sp)", KvmArm64Registers.Sp),
        ($"{Core64}(regs.pc)", KvmArm64Registers.Pc),
        ($"{Core64}(regs.pstate)", KvmArm64Registers.Pstate),
        ($"{Core64}(sp_el1)", KvmArm64Registers.SpEl1),
        ($"{Core64}(elr_el1)", KvmArm64Registers.ElrEl1),
        .. Enumerable.Range(0, 5).Select(i => ($"{Core64}(spsr[{i}])", KvmArm64Registers.Spsr(i))),
        .. Enumerable.Range(0, 32).Select(n => ($"KVM_REG_ARM64 | KVM_REG_SIZE_U128 | KVM_REG_ARM_CORE | KVM_REG_ARM_CORE_REG(fp_regs.vregs[{n}])", KvmArm64Registers.V(n))),
        ("KVM_REG_ARM64 | KVM_REG_SIZE_U32 | KVM_REG_ARM_CORE | KVM_REG_ARM_CORE_REG(fp_regs.fpsr)", KvmArm64Registers.Fpsr),
        ("KVM_REG_ARM64 | KVM_REG_SIZE_U32 | KVM_REG_ARM_CORE | KVM_REG_ARM_CORE_REG(fp_regs.fpcr)", KvmArm64Registers.Fpcr),

        // System registers.
        ("ARM64_SYS_REG(3, 0, 0, 0, 5)", KvmArm64Registers.MpidrEl1),
        ("ARM64_SYS_REG(3, 7, 15, 15, 7)", KvmArm64Registers.SystemRegister(3, 7, 15, 15, 7)),
        ("ARM64_SYS_REG(0, 0, 0, 0, 0)", KvmArm64Registers.SystemRegister(0, 0, 0, 0, 0)),
        ("KVM_REG_ARM_PTIMER_CTL", KvmArm64Registers.SystemRegister(3, 3, 14, 2, 1)),
        ("KVM_REG_ARM_TIMER_CTL", KvmArm64Registers.TimerCtl),
        ("KVM_REG_ARM_TIMER_CNT", KvmArm64Registers.TimerCnt),
        ("KVM_REG_ARM_TIMER_CVAL", KvmArm64Registers.TimerCval),

        // Firmware pseudo-registers and how an id decomposes.
        ("KVM_REG_ARM_PSCI_VERSION", KvmArm64Registers.PsciVersion),
        ("KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1", KvmArm64Registers.FirmwareRegister(1)),
        ("KVM_REG_ARM_FW_REG(0xffff)", KvmArm64Registers.FirmwareRegister(0xffff)),
        ("KVM_REG_ARM_STD_BMAP", KvmArm64Registers.FirmwareFeatureBitmapRegister(0)),
        ("KVM_REG_ARM_VENDOR_HYP_BMAP", KvmArm64Registers.FirmwareFeatureBitmapRegister(2)),
        ("KVM_REG_ARM_PSCI_VERSION & KVM_REG_ARM_COPROC_MASK", KvmArm64Registers.CoprocOf(KvmArm64Registers.PsciVersion)),
        ("KVM_REG_ARM_STD_BMAP & KVM_REG_ARM_COPROC_MASK", KvmArm64Registers.CoprocOf(KvmArm64Registers.FirmwareFeatureBitmapRegister(0))),
        ("KVM_REG_ARM_FW_REG(0x1234) & 0xffff", KvmArm64Registers.IndexOf(KvmArm64Registers.FirmwareRegister(0x1234))),
        ("KVM_REG_SIZE(KVM_REG_ARM_PSCI_VERSION)", (ulong)KvmArm64Registers.SizeOf(KvmArm64Registers.PsciVersion)),
        ($"KVM_REG_SIZE(KVM_REG_ARM64 | KVM_REG_SIZE_U128 | KVM_REG_ARM_CORE | KVM_REG_ARM_CORE_REG(fp_regs.vregs[1]))", (ulong)KvmArm64Registers.SizeOf(KvmArm64Registers.V(1))),
        ("KVM_REG_SIZE(KVM_REG_ARM64 | KVM_REG_SIZE_U32 | KVM_REG_ARM_CORE | KVM_REG_ARM_CORE_REG(fp_regs.fpcr))", (ulong)KvmArm64Registers.SizeOf(KvmArm64Registers.Fpcr)),

        // vGIC.
        ("KVM_DEV_ARM_VGIC_GRP_ADDR", KvmArmVgic.GroupAddr),
        ("KVM_DEV_ARM_VGIC_GRP_NR_IRQS", KvmArmVgic.GroupNrIrqs),
        ("KVM_DEV_ARM_VGIC_GRP_CTRL", KvmArmVgic.GroupCtrl),
        ("KVM_DEV_ARM_VGIC_CTRL_INIT", KvmArmVgic.CtrlInit),
        ("KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES", KvmArmVgic.CtrlSavePendingTables),
        ("KVM_DEV_ARM_VGIC_GRP_ITS_REGS", KvmArmVgic.GroupItsRegs),
        ("KVM_DEV_ARM_ITS_SAVE_TABLES", KvmArmVgic.ItsCtrlSaveTables),
        ("KVM_DEV_ARM_ITS_RESTORE_TABLES", KvmArmVgic.ItsCtrlRestoreTables),
        ("KVM_VGIC_V3_ADDR_TYPE_DIST", KvmArmVgic.V3AddrTypeDist),
        ("KVM_VGIC_V3_ADDR_TYPE_REDIST", KvmArmVgic.V3AddrTypeRedist),
        ("KVM_VGIC_ITS_ADDR_TYPE", KvmArmVgic.ItsAddrType),
        ("KVM_DEV_ARM_VGIC_GRP_DIST_REGS", KvmArmVgic.GroupDistRegs),
        ("KVM_DEV_ARM_VGIC_GRP_REDIST_REGS", KvmArmVgic.GroupRedistRegs),
        ("KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS", KvmArmVgic.GroupCpuSysregs),
        ("KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO", KvmArmVgic.GroupLevelInfo),
        ("KVM_DEV_ARM_VGIC_V3_MPIDR_SHIFT", KvmArmVgic.MpidrShift),
        ("KVM_DEV_ARM_VGIC_V3_MPIDR_MASK", KvmArmVgic.MpidrMask),
        ("KVM_DEV_ARM_VGIC_OFFSET_MASK", KvmArmVgic.OffsetMask),
        ("KVM_DEV_ARM_VGIC_SYSREG_INSTR_MASK", KvmArmVgic.SysregInstructionMask),
        ("KVM_DEV_ARM_VGIC_LINE_LEVEL_INFO_SHIFT", KvmArmVgic.LineLevelInfoShift),
        ("KVM_DEV_ARM_VGIC_LINE_LEVEL_INFO_MASK", KvmArmVgic.LineLevelInfoMask),
        ("KVM_DEV_ARM_VGIC_LINE_LEVEL_INTID_MASK", KvmArmVgic.LineLevelIntidMask),
        ("VGIC_LEVEL_INFO_LINE_LEVEL", KvmArmVgic.LevelInfoLineLevel),
        // The sysreg attr's instr field is ONE_REG's system register index (both the A64 encoding).
        ("ARM64_SYS_REG(3, 0, 4, 6, 0) & KVM_DEV_ARM_VGIC_SYSREG_INSTR_MASK", KvmArmVgic.SysregInstruction(3, 0, 4, 6, 0)),
        ("ARM64_SYS_REG(3, 0, 12, 12, 4) & KVM_DEV_ARM_VGIC_SYSREG_INSTR_MASK", KvmArmVgic.SysregInstruction(3, 0, 12, 12, 4)),
        ("ARM64_SYS_REG(3, 0, 12, 9, 3) & KVM_DEV_ARM_VGIC_SYSREG_INSTR_MASK", KvmArmVgic.SysregInstruction(3, 0, 12, 9, 3)),
        ("(0xabcdef12ULL << KVM_DEV_ARM_VGIC_V3_MPIDR_SHIFT) | (VGIC_LEVEL_INFO_LINE_LEVEL << KVM_DEV_ARM_VGIC_LINE_LEVEL_INFO_SHIFT) | 992",
            KvmArmVgic.LineLevelAttr(0x0000_00ab_80cd_ef12, 992)),

        // KVM_IRQ_LINE's irq field.
        ("KVM_ARM_IRQ_TYPE_SHIFT", KvmArmIrqLine.TypeShift),
        ("KVM_ARM_IRQ_TYPE_MASK", KvmArmIrqLine.TypeMask),
        ("KVM_ARM_IRQ_VCPU_SHIFT", KvmArmIrqLine.VcpuShift),
        ("KVM_ARM_IRQ_VCPU_MASK", KvmArmIrqLine.VcpuMask),
        ("KVM_ARM_IRQ_VCPU2_SHIFT", KvmArmIrqLine.Vcpu2Shift),
        ("KVM_ARM_IRQ_VCPU2_MASK", KvmArmIrqLine.Vcpu2Mask),
        ("KVM_ARM_IRQ_NUM_SHIFT", KvmArmIrqLine.NumShift),
        ("KVM_ARM_IRQ_NUM_MASK", KvmArmIrqLine.NumMask),
        ("KVM_ARM_IRQ_TYPE_CPU", KvmArmIrqLine.TypeCpu),
        ("KVM_ARM_IRQ_TYPE_SPI", KvmArmIrqLine.TypeSpi),
        ("KVM_ARM_IRQ_TYPE_PPI", KvmArmIrqLine.TypePpi),
        ("(KVM_ARM_IRQ_TYPE_SPI << KVM_ARM_IRQ_TYPE_SHIFT) | (32 << KVM_ARM_IRQ_NUM_SHIFT)", KvmArmIrqLine.Spi(32)),
        ("(KVM_ARM_IRQ_TYPE_SPI << KVM_ARM_IRQ_TYPE_SHIFT) | (33 << KVM_ARM_IRQ_NUM_SHIFT)", KvmArmIrqLine.Spi(33)),
        ("(KVM_ARM_IRQ_TYPE_SPI << KVM_ARM_IRQ_TYPE_SHIFT) | (1019 << KVM_ARM_IRQ_NUM_SHIFT)", KvmArmIrqLine.Spi(1019)),
        ("(KVM_ARM_IRQ_TYPE_PPI << KVM_ARM_IRQ_TYPE_SHIFT) | (1 << KVM_ARM_IRQ_VCPU_SHIFT) | (27 << KVM_ARM_IRQ_NUM_SHIFT)", KvmArmIrqLine.Ppi(1, 27)),
        ("(KVM_ARM_IRQ_TYPE_PPI << KVM_ARM_IRQ_TYPE_SHIFT) | (255 << KVM_ARM_IRQ_VCPU_SHIFT) | (16 << KVM_ARM_IRQ_NUM_SHIFT)", KvmArmIrqLine.Ppi(255, 16)),

        // SMCCC filter, hypercall exits, system events.
        ("KVM_ARM_VM_SMCCC_CTRL", KvmArm64Constants.VmSmcccCtrl),
        ("KVM_ARM_VM_SMCCC_FILTER", KvmArm64Constants.VmSmcccFilter),
        ("KVM_HYPERCALL_EXIT_SMC", KvmArm64Constants.HypercallExitSmc),
        ("KVM_HYPERCALL_EXIT_16BIT", KvmArm64Constants.HypercallExit16Bit),
        ("KVM_SYSTEM_EVENT_RESET_FLAG_PSCI_RESET2", KvmSystemEventFlags.ArmPsciReset2),
        .. KvmAbiOracleFixture.EnumMacros<KvmArm64VcpuFeature>("KVM_ARM_VCPU_"),
        .. KvmAbiOracleFixture.EnumMacros<KvmSmcccFilterAction>("KVM_SMCCC_FILTER_"),
        .. KvmAbiOracleFixture.EnumMacros<KvmSystemEventType>("KVM_SYSTEM_EVENT_"),
        .. KvmAbiOracleFixture.EnumMacros<KvmDeviceType>("KVM_DEV_TYPE_"),
        // x86's PIT, debug-register and XSAVE capabilities are defined only where the arch has them.
        .. KvmAbiOracleFixture.EnumMacros<KvmCapability>("KVM_CAP_")
            .Where(c => c.Item1 is not ("KVM_CAP_PIT2" or "KVM_CAP_PIT_STATE2" or "KVM_CAP_DEBUGREGS" or "KVM_CAP_XSAVE" or "KVM_CAP_XCRS")),
        .. KvmAbiOracleFixture.EnumMacros<KvmExitReason>("KVM_EXIT_"),
        .. KvmAbiOracleFixture.EnumMacros<VcpuMpState>("KVM_MP_STATE_"),
    ];
}
