using System.Runtime.InteropServices;

namespace Vireo.Kvm;

/// <summary>struct kvm_coalesced_mmio (linux/kvm.h): one queued write in the coalesced ring.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct KvmCoalescedMmio
{
    public ulong PhysAddr;
    public uint Len;
    public uint Pio;
    public ulong Data;
}
