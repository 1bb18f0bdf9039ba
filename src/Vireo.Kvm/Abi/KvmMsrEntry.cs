using System.Runtime.InteropServices;

namespace Vireo.Kvm;

/// <summary>struct kvm_msr_entry (asm/kvm.h).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct KvmMsrEntry
{
    /// <summary>The MSR number (e.g. 0xc0000080 IA32_EFER).</summary>
    public uint Index;
    /// <summary>Reserved; zero.</summary>
    public uint Reserved;
    /// <summary>The MSR value.</summary>
    public ulong Data;

    /// <summary>
    /// An entry for MSR <paramref name="index"/> holding <paramref name="data"/>.
    /// </summary>
    public KvmMsrEntry(uint index, ulong data)
    {
        Index = index;
        Data = data;
    }
}
