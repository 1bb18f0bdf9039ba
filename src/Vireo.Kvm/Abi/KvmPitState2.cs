using System.Runtime.InteropServices;

namespace Vireo.Kvm;

/// <summary>struct kvm_pit_state2 (asm/kvm.h): the in-kernel PIT of KVM_GET/SET_PIT2.</summary>
[StructLayout(LayoutKind.Sequential, Size = 112)]
internal struct KvmPitState2
{
    public KvmPitChannels Channels;
    public uint Flags;
}
