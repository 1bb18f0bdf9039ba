using System.Runtime.InteropServices;

namespace Vireo.Kvm;

/// <summary>struct kvm_fpu (asm/kvm.h): x87 and SSE state in fxsave layout.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct KvmFpu
{
    public KvmX87Registers Fpr;
    public ushort Fcw;
    public ushort Fsw;
    public byte Ftwx;
    public byte Pad1;
    public ushort LastOpcode;
    public ulong LastIp;
    public ulong LastDp;
    public KvmXmmRegisters Xmm;
    public uint Mxcsr;
    public uint Pad2;
}
