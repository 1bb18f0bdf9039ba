using System.Runtime.InteropServices;

namespace Vireo.Kvm;

/// <summary>struct kvm_cpuid_entry2 (asm/kvm.h): one CPUID leaf/subleaf.</summary>
[StructLayout(LayoutKind.Sequential, Size = 40)]
public struct KvmCpuidEntry2
{
    /// <summary>function: the CPUID leaf (EAX input).</summary>
    public uint Function;
    /// <summary>
    /// index: the subleaf (ECX input), meaningful when <see cref="Flags"/> has
    /// KVM_CPUID_FLAG_SIGNIFCANT_INDEX.
    /// </summary>
    public uint Index;
    /// <summary>flags: KVM_CPUID_FLAG_* (asm/kvm.h).</summary>
    public uint Flags;
    /// <summary>The EAX output.</summary>
    public uint Eax;
    /// <summary>The EBX output.</summary>
    public uint Ebx;
    /// <summary>The ECX output.</summary>
    public uint Ecx;
    /// <summary>The EDX output.</summary>
    public uint Edx;
}
