namespace Vireo.Kvm;

/// <summary>KVM_SYSTEM_EVENT_* (linux/kvm.h): <see cref="VcpuExit.SystemEventType"/> of a
/// <see cref="VcpuExitKind.SystemEvent"/> exit.</summary>
public enum KvmSystemEventType : uint
{
    /// <summary>KVM_SYSTEM_EVENT_SHUTDOWN: power off (PSCI SYSTEM_OFF, ACPI S5).</summary>
    Shutdown = 1,
    /// <summary>KVM_SYSTEM_EVENT_RESET: reboot (PSCI SYSTEM_RESET, or SYSTEM_RESET2 when
    /// <see cref="VcpuExit.SystemEventFlags"/> has <see cref="KvmSystemEventFlags.ArmPsciReset2"/>).</summary>
    Reset = 2,
    /// <summary>KVM_SYSTEM_EVENT_CRASH: the guest reported a crash.</summary>
    Crash = 3,
    /// <summary>KVM_SYSTEM_EVENT_WAKEUP: a vCPU in a suspend state was woken.</summary>
    Wakeup = 4,
    /// <summary>KVM_SYSTEM_EVENT_SUSPEND: PSCI SYSTEM_SUSPEND (KVM_CAP_ARM_SYSTEM_SUSPEND).</summary>
    Suspend = 5,
    /// <summary>KVM_SYSTEM_EVENT_SEV_TERM: an SEV guest terminated.</summary>
    SevTerm = 6,
}
