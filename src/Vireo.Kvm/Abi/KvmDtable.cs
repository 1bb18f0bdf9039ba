using System.Runtime.InteropServices;

namespace Vireo.Kvm;

/// <summary>struct kvm_dtable (asm/kvm.h): GDTR or IDTR.</summary>
[StructLayout(LayoutKind.Sequential, Size = 16)]
public struct KvmDtable
{
    public ulong Base;
    public ushort Limit;
}
