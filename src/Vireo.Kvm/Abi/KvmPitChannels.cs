using System.Runtime.CompilerServices;

namespace Vireo.Kvm;

/// <summary>kvm_pit_state2.channels (asm/kvm.h).</summary>
[InlineArray(3)]
internal struct KvmPitChannels
{
    private KvmPitChannelState _element0;
}
