using System.Runtime.InteropServices;

namespace Vireo.Kvm;

/// <summary>struct kvm_fpu (asm/kvm.h): x87 and SSE state in fxsave layout.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct KvmFpu
{
    /// <summary>fpr: the eight x87/MMX registers, 16 bytes each.</summary>
    public KvmX87Registers Fpr;
    /// <summary>fcw: x87 control word.</summary>
    public ushort Fcw;
    /// <summary>fsw: x87 status word.</summary>
    public ushort Fsw;
    /// <summary>ftwx: abridged x87 tag word (fxsave format).</summary>
    public byte Ftwx;
    /// <summary>Padding in the kernel struct.</summary>
    public byte Pad1;
    /// <summary>last_opcode: the x87 opcode of the last non-control instruction.</summary>
    public ushort LastOpcode;
    /// <summary>last_ip: x87 FPU instruction pointer.</summary>
    public ulong LastIp;
    /// <summary>last_dp: x87 FPU data pointer.</summary>
    public ulong LastDp;
    /// <summary>xmm: the sixteen XMM registers.</summary>
    public KvmXmmRegisters Xmm;
    /// <summary>mxcsr: SSE control and status.</summary>
    public uint Mxcsr;
    /// <summary>Padding in the kernel struct.</summary>
    public uint Pad2;
}
