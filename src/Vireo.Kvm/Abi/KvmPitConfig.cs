using System.Runtime.InteropServices;

namespace Vireo.Kvm;

/// <summary>struct kvm_pit_config (linux/kvm.h) for KVM_CREATE_PIT2.</summary>
[StructLayout(LayoutKind.Sequential, Size = 64)]
internal struct KvmPitConfig
{
    /// <summary>KVM_PIT_SPEAKER_DUMMY (1) makes port 0x61 a dummy speaker.</summary>
    public uint Flags;
}
