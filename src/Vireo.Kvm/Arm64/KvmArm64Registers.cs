namespace Vireo.Kvm;

/// <summary>
/// arm64 register ids for KVM_GET_ONE_REG / KVM_SET_ONE_REG / KVM_GET_REG_LIST (linux/kvm.h and
/// arm64 asm/kvm.h). An id is <c>arch | size | coproc | index</c>: the arch (<see cref="Arm64"/>) in
/// bits 56-63, log2 of the value's byte size in bits 52-55 (<see cref="SizeOf"/>), the coprocessor
/// space in bits 16-27 (<see cref="CoprocOf"/>: core, system registers, firmware pseudo-registers,
/// ...) and the index within it in the low bits. The arm64 layout tests check every id built here
/// against the header's own macros.
/// </summary>
public static class KvmArm64Registers
{
    /// <summary>KVM_REG_ARCH_MASK.</summary>
    public const ulong ArchMask = 0xff00_0000_0000_0000;

    /// <summary>KVM_REG_ARM64: the arm64 architecture field.</summary>
    public const ulong Arm64 = 0x6000_0000_0000_0000;

    /// <summary>KVM_REG_SIZE_SHIFT.</summary>
    public const int SizeShift = 52;

    /// <summary>KVM_REG_SIZE_MASK.</summary>
    public const ulong SizeMask = 0x00f0_0000_0000_0000;

    /// <summary>KVM_REG_SIZE_U32: a 4-byte register (fpsr, fpcr).</summary>
    public const ulong SizeU32 = 0x0020_0000_0000_0000;

    /// <summary>KVM_REG_SIZE_U64: an 8-byte register.</summary>
    public const ulong SizeU64 = 0x0030_0000_0000_0000;

    /// <summary>KVM_REG_SIZE_U128: a 16-byte register (the FP/SIMD V registers).</summary>
    public const ulong SizeU128 = 0x0040_0000_0000_0000;

    /// <summary>KVM_REG_ARM_COPROC_SHIFT.</summary>
    public const int CoprocShift = 16;

    /// <summary>KVM_REG_ARM_COPROC_MASK.</summary>
    public const ulong CoprocMask = 0x0000_0000_0fff_0000;

    /// <summary>KVM_REG_ARM_CORE: struct kvm_regs, indexed by offset in 32-bit words.</summary>
    public const ulong Core = 0x0010UL << CoprocShift;

    /// <summary>KVM_REG_ARM64_SYSREG: AArch64 system registers by op0/op1/CRn/CRm/op2.</summary>
    public const ulong SystemRegisters = 0x0013UL << CoprocShift;

    /// <summary>KVM_REG_ARM_FW: KVM-as-firmware pseudo-registers (PSCI version, SMCCC workarounds).</summary>
    public const ulong Firmware = 0x0014UL << CoprocShift;

    /// <summary>KVM_REG_ARM_FW_FEAT_BMAP: the firmware feature bitmap pseudo-registers (which
    /// hypercall services the guest may see).</summary>
    public const ulong FirmwareFeatureBitmap = 0x0016UL << CoprocShift;

    // Byte offsets in arm64's struct kvm_regs: user_pt_regs {regs[31], sp, pc, pstate}, sp_el1,
    // elr_el1, spsr[KVM_NR_SPSR], then user_fpsimd_state {vregs[32] (16-byte aligned), fpsr, fpcr}.
    private const int SpOffset = 31 * 8;
    private const int PcOffset = SpOffset + 8;
    private const int PstateOffset = PcOffset + 8;
    private const int SpEl1Offset = PstateOffset + 8;
    private const int ElrEl1Offset = SpEl1Offset + 8;
    private const int SpsrOffset = ElrEl1Offset + 8;
    private const int SpsrCount = 5;
    private const int VregsOffset = (SpsrOffset + (SpsrCount * 8) + 15) & ~15;
    private const int FpsrOffset = VregsOffset + (32 * 16);
    private const int FpcrOffset = FpsrOffset + 4;

    /// <summary>The id of the core register at <paramref name="byteOffset"/> in struct kvm_regs,
    /// with <paramref name="size"/> one of <see cref="SizeU32"/>, <see cref="SizeU64"/>,
    /// <see cref="SizeU128"/> (KVM_REG_ARM_CORE_REG: the offset in 32-bit words).</summary>
    public static ulong CoreRegister(int byteOffset, ulong size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(byteOffset);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(byteOffset, FpcrOffset);
        if (byteOffset % 4 != 0)
        {
            throw new ArgumentException($"core register offset {byteOffset} is not a multiple of 4", nameof(byteOffset));
        }
        if (size is not (SizeU32 or SizeU64 or SizeU128))
        {
            throw new ArgumentException($"0x{size:x} is not a core register size (U32, U64 or U128)", nameof(size));
        }
        return Arm64 | size | Core | (uint)(byteOffset / 4);
    }

    /// <summary>General-purpose register x<paramref name="n"/> (0-30): regs.regs[n].</summary>
    public static ulong X(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(n, 30);
        return CoreRegister(n * 8, SizeU64);
    }

    /// <summary>regs.sp: SP_EL0.</summary>
    public static ulong Sp => CoreRegister(SpOffset, SizeU64);

    /// <summary>regs.pc.</summary>
    public static ulong Pc => CoreRegister(PcOffset, SizeU64);

    /// <summary>regs.pstate (SPSR-format PSTATE: exception level, DAIF, ...).</summary>
    public static ulong Pstate => CoreRegister(PstateOffset, SizeU64);

    /// <summary>sp_el1.</summary>
    public static ulong SpEl1 => CoreRegister(SpEl1Offset, SizeU64);

    /// <summary>elr_el1.</summary>
    public static ulong ElrEl1 => CoreRegister(ElrEl1Offset, SizeU64);

    /// <summary>spsr[<paramref name="index"/>] (0 = SPSR_EL1, then the AArch32 banked ABT, UND, IRQ, FIQ).</summary>
    public static ulong Spsr(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, SpsrCount);
        return CoreRegister(SpsrOffset + (index * 8), SizeU64);
    }

    /// <summary>FP/SIMD register v<paramref name="n"/> (0-31), 128 bits: fp_regs.vregs[n].</summary>
    public static ulong V(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(n, 31);
        return CoreRegister(VregsOffset + (n * 16), SizeU128);
    }

    /// <summary>fp_regs.fpsr (32 bits).</summary>
    public static ulong Fpsr => CoreRegister(FpsrOffset, SizeU32);

    /// <summary>fp_regs.fpcr (32 bits).</summary>
    public static ulong Fpcr => CoreRegister(FpcrOffset, SizeU32);

    /// <summary>ARM64_SYS_REG(op0, op1, crn, crm, op2): a 64-bit AArch64 system register by its
    /// encoding (each field range-checked, where the header's macro would mask it silently).</summary>
    public static ulong SystemRegister(int op0, int op1, int crn, int crm, int op2)
    {
        Field(op0, 3, nameof(op0));
        Field(op1, 7, nameof(op1));
        Field(crn, 15, nameof(crn));
        Field(crm, 15, nameof(crm));
        Field(op2, 7, nameof(op2));
        return Arm64 | SizeU64 | SystemRegisters
            | ((uint)op0 << 14) | ((uint)op1 << 11) | ((uint)crn << 7) | ((uint)crm << 3) | (uint)op2;
    }

    /// <summary>MPIDR_EL1 (3, 0, 0, 0, 5): the vCPU's affinity, which the device tree's cpu reg
    /// and the GIC redistributor follow.</summary>
    public static ulong MpidrEl1 => SystemRegister(3, 0, 0, 0, 5);

    /// <summary>KVM_REG_ARM_TIMER_CTL: CNTV_CTL_EL0.</summary>
    public static ulong TimerCtl => SystemRegister(3, 3, 14, 3, 1);

    /// <summary>KVM_REG_ARM_TIMER_CNT: the virtual counter. KVM's uAPI swapped the encodings of
    /// CNT and CVAL by mistake and kept them as ABI; this is the header's value, not CNTVCT_EL0's.</summary>
    public static ulong TimerCnt => SystemRegister(3, 3, 14, 3, 2);

    /// <summary>KVM_REG_ARM_TIMER_CVAL: the virtual timer's compare value (the header's swapped
    /// encoding, see <see cref="TimerCnt"/>).</summary>
    public static ulong TimerCval => SystemRegister(3, 3, 14, 0, 2);

    /// <summary>KVM_REG_ARM_FW_REG(<paramref name="index"/>): a 64-bit firmware pseudo-register.</summary>
    public static ulong FirmwareRegister(ushort index) => Arm64 | SizeU64 | Firmware | index;

    /// <summary>KVM_REG_ARM_PSCI_VERSION: the PSCI version the in-kernel PSCI reports.</summary>
    public static ulong PsciVersion => FirmwareRegister(0);

    /// <summary>KVM_REG_ARM_FW_FEAT_BMAP_REG(<paramref name="index"/>): a firmware feature bitmap
    /// (0 standard services, 1 standard hypervisor services, 2 vendor hypervisor services).</summary>
    public static ulong FirmwareFeatureBitmapRegister(ushort index) => Arm64 | SizeU64 | FirmwareFeatureBitmap | index;

    /// <summary>The coprocessor space of <paramref name="id"/> (e.g. <see cref="Firmware"/>),
    /// still shifted into place so it compares with the constants here.</summary>
    public static ulong CoprocOf(ulong id) => id & CoprocMask;

    /// <summary>The index of <paramref name="id"/> within its coprocessor space (the bits below it).</summary>
    public static ulong IndexOf(ulong id) => id & ((1UL << CoprocShift) - 1);

    /// <summary>KVM_REG_SIZE(id): the value's size in bytes, 1 shifted by the size field (KVM defines sizes up to 256).</summary>
    public static int SizeOf(ulong id) => 1 << (int)((id & SizeMask) >> SizeShift);

    /// <summary>Whether <paramref name="id"/> names an arm64 register at all.</summary>
    public static bool IsArm64(ulong id) => (id & ArchMask) == Arm64;

    private static void Field(int value, int max, string name)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value, name);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(value, max, name);
    }
}
