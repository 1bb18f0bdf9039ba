using System.Runtime.InteropServices;

namespace Vireo.Kvm;

/// <summary>struct kvm_dtable (asm/kvm.h): GDTR or IDTR.</summary>
[StructLayout(LayoutKind.Sequential, Size = 16)]
public struct KvmDtable
{
    /// <summary>Linear base address of the table.</summary>
    public ulong Base;
    /// <summary>Limit: the table's size in bytes minus one.</summary>
    public ushort Limit;
}
