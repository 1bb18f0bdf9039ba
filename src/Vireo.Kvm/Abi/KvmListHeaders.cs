using System.Runtime.InteropServices;

namespace Vireo.Kvm;

// Headers of the kernel structs that end in a flexible array; the objects build the buffer
// (header followed by entries) and expose typed arrays instead.

/// <summary>struct kvm_msrs (asm/kvm.h) without its kvm_msr_entry array.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct KvmMsrsHeader
{
    public uint Nmsrs;
    public uint Pad;
}

/// <summary>struct kvm_msr_list (asm/kvm.h) without its index array.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct KvmMsrListHeader
{
    public uint Nmsrs;
}

/// <summary>struct kvm_cpuid2 (asm/kvm.h) without its kvm_cpuid_entry2 array.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct KvmCpuid2Header
{
    public uint Nent;
    public uint Padding;
}

/// <summary>struct kvm_irq_routing (linux/kvm.h) without its entry array.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct KvmIrqRoutingHeader
{
    public uint Nr;
    public uint Flags;
}

/// <summary>struct kvm_signal_mask (linux/kvm.h) carrying the kernel's 8-byte sigset: the
/// flexible sigset array starts right after len, at offset 4, so the mask is unaligned.</summary>
[StructLayout(LayoutKind.Explicit, Size = 12)]
internal struct KvmSignalMask
{
    /// <summary>sizeof(struct kvm_signal_mask) without the flexible array, for the ioctl number.</summary>
    internal const int HeaderSize = 4;

    [FieldOffset(0)] public uint Len;
    [FieldOffset(4)] public ulong Sigset;
}
