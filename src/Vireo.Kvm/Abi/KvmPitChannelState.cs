using System.Runtime.InteropServices;

namespace Vireo.Kvm;

/// <summary>struct kvm_pit_channel_state (asm/kvm.h): one 8254 counter.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct KvmPitChannelState
{
    public uint Count;
    public ushort LatchedCount;
    public byte CountLatched;
    public byte StatusLatched;
    public byte Status;
    public byte ReadState;
    public byte WriteState;
    public byte WriteLatch;
    public byte RwMode;
    public byte Mode;
    public byte Bcd;
    public byte Gate;
    public long CountLoadTime;
}
