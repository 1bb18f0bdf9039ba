using Vireo.Kvm;

namespace Vireo.Vmm.X86;

/// <summary>
/// Register state every vCPU starts with before Linux runs: MSRs as firmware would leave them,
/// a reset FPU, and the local APIC wired like a PC (LINT0 ExtINT from the PIC, LINT1 NMI).
/// </summary>
public static class VcpuBootState
{
    // MSR numbers: Intel SDM Vol. 4, Table 2-2.
    private const uint MsrIa32SysenterCs = 0x174;
    private const uint MsrIa32SysenterEsp = 0x175;
    private const uint MsrIa32SysenterEip = 0x176;
    private const uint MsrIa32MiscEnable = 0x1a0;
    private const uint MsrMtrrDefType = 0x2ff;
    private const uint MsrStar = 0xc000_0081;
    private const uint MsrLstar = 0xc000_0082;
    private const uint MsrCstar = 0xc000_0083;
    private const uint MsrSyscallMask = 0xc000_0084;
    private const uint MsrKernelGsBase = 0xc000_0102;
    private const uint MsrIa32Tsc = 0x10;

    private const ulong MiscEnableFastString = 1;

    // MTRRdefType: E (bit 11) enables MTRRs, type 6 = write-back by default.
    private const ulong MtrrDefTypeEnabledWriteBack = (1 << 11) | 6;

    // Local APIC register offsets and LVT delivery modes (Intel SDM Vol. 3A §11.5.1).
    private const int ApicLvtLint0 = 0x350;
    private const int ApicLvtLint1 = 0x360;
    private const uint DeliveryModeMask = 0x700;
    private const uint DeliveryModeExtInt = 0x700;
    private const uint DeliveryModeNmi = 0x400;

    // x87 control word after FNINIT, and MXCSR after reset (Intel SDM Vol. 1 §8.1.5, §10.2.3).
    private const ushort FpuControlWord = 0x37f;
    private const uint MxcsrReset = 0x1f80;

    /// <summary>Gives <paramref name="vcpu"/> the MSRs, FPU and LAPIC state a PC's firmware leaves for a kernel (with <paramref name="inKernelIrqchip"/>, the LAPIC's LINT0/LINT1 wiring).</summary>
    public static void Apply(KvmVcpu vcpu, bool inKernelIrqchip)
    {
        vcpu.SetMsrs(
        [
            new KvmMsrEntry(MsrIa32SysenterCs, 0),
            new KvmMsrEntry(MsrIa32SysenterEsp, 0),
            new KvmMsrEntry(MsrIa32SysenterEip, 0),
            new KvmMsrEntry(MsrStar, 0),
            new KvmMsrEntry(MsrCstar, 0),
            new KvmMsrEntry(MsrKernelGsBase, 0),
            new KvmMsrEntry(MsrSyscallMask, 0),
            new KvmMsrEntry(MsrLstar, 0),
            new KvmMsrEntry(MsrIa32Tsc, 0),
            new KvmMsrEntry(MsrIa32MiscEnable, MiscEnableFastString),
            new KvmMsrEntry(MsrMtrrDefType, MtrrDefTypeEnabledWriteBack),
        ]);

        KvmFpu fpu = default;
        fpu.Fcw = FpuControlWord;
        fpu.Mxcsr = MxcsrReset;
        vcpu.SetFpu(fpu);

        if (inKernelIrqchip)
        {
            KvmLapicState lapic = vcpu.GetLapic();
            lapic.SetRegister(ApicLvtLint0, (lapic.GetRegister(ApicLvtLint0) & ~DeliveryModeMask) | DeliveryModeExtInt);
            lapic.SetRegister(ApicLvtLint1, (lapic.GetRegister(ApicLvtLint1) & ~DeliveryModeMask) | DeliveryModeNmi);
            vcpu.SetLapic(lapic);
        }
    }
}
