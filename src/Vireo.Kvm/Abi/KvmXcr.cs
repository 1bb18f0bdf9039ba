using System.Runtime.InteropServices;

namespace Vireo.Kvm;

/// <summary>struct kvm_xcr (asm/kvm.h): one extended control register.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct KvmXcr
{
    public uint Xcr;
    public uint Reserved;
    public ulong Value;
}
