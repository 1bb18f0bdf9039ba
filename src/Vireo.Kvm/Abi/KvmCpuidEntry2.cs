using System.Runtime.InteropServices;

namespace Vireo.Kvm;

/// <summary>struct kvm_cpuid_entry2 (asm/kvm.h): one CPUID leaf/subleaf.</summary>
[StructLayout(LayoutKind.Sequential, Size = 40)]
public struct KvmCpuidEntry2
{
    public uint Function;
    public uint Index;
    public uint Flags;
    public uint Eax;
    public uint Ebx;
    public uint Ecx;
    public uint Edx;
}
