using System.Runtime.InteropServices;

namespace Vireo.Kvm;

/// <summary>struct kvm_msr_entry (asm/kvm.h).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct KvmMsrEntry
{
    public uint Index;
    public uint Reserved;
    public ulong Data;

    public KvmMsrEntry(uint index, ulong data)
    {
        Index = index;
        Data = data;
    }
}
