namespace Vireo.Kvm;

/// <summary>kvm_mp_state.mp_state values (linux/kvm.h KVM_MP_STATE_*), x86 subset.</summary>
internal enum VcpuMpState : uint
{
    Runnable = 0,
    Uninitialized = 1,
    InitReceived = 2,
    Halted = 3,
    SipiReceived = 4,
}
