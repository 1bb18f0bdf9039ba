using System.Runtime.InteropServices;

namespace Vireo.Kvm;

/// <summary>struct kvm_coalesced_mmio_zone (linux/kvm.h): a guest range whose writes KVM queues
/// in the coalesced ring instead of exiting; <see cref="Pio"/> 1 makes it a port range
/// (KVM_CAP_COALESCED_PIO).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct KvmCoalescedMmioZone
{
    public ulong Addr;
    public uint Size;
    public uint Pio;
}
