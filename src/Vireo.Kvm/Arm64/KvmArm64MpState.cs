namespace Vireo.Kvm;

/// <summary>The kvm_mp_state values an arm64 vCPU can be in (linux/kvm.h KVM_MP_STATE_*), for
/// <see cref="KvmVcpu.GetMpStateValue"/> and <see cref="KvmVcpu.SetMpStateValue"/>.</summary>
public static class KvmArm64MpState
{
    /// <summary>KVM_MP_STATE_RUNNABLE: the vCPU runs.</summary>
    public const uint Runnable = 0;

    /// <summary>KVM_MP_STATE_STOPPED: powered off (a secondary before PSCI CPU_ON, or after CPU_OFF).</summary>
    public const uint Stopped = 5;

    /// <summary>KVM_MP_STATE_SUSPENDED: in a PSCI CPU_SUSPEND forwarded to the VMM.</summary>
    public const uint Suspended = 10;

    /// <summary>Whether <paramref name="state"/> is one of the three an arm64 vCPU can be in.</summary>
    public static bool IsValid(uint state) => state is Runnable or Stopped or Suspended;
}
