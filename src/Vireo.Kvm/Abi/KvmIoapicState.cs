using System.Runtime.InteropServices;

namespace Vireo.Kvm;

/// <summary>struct kvm_ioapic_state (asm/kvm.h): the in-kernel IOAPIC.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct KvmIoapicState
{
    public ulong BaseAddress;
    public uint Ioregsel;
    public uint Id;
    public uint Irr;
    public uint Pad;
    public KvmIoapicRedirectionTable Redirtbl;
}
