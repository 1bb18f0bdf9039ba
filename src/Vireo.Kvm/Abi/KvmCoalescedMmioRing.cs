using System.Runtime.InteropServices;

namespace Vireo.Kvm;

/// <summary>The head of struct kvm_coalesced_mmio_ring (linux/kvm.h); the entries follow it.
/// KVM produces at <see cref="Last"/>, the VMM consumes at <see cref="First"/>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct KvmCoalescedMmioRing
{
    public uint First;
    public uint Last;
}
