namespace Vireo.Vmm;

/// <summary>What <see cref="S2IdleStateMachine.RequestWake"/> did with a wake request.</summary>
public enum S2IdleWakeOutcome
{
    /// <summary>The guest is running and not suspending: nothing to wake, nothing injected or kept.</summary>
    NotSuspended,

    /// <summary>The guest is entering s2idle: the wake is kept and delivered the moment the vCPUs
    /// are parked, so the guest does not stay suspended; if the guest aborts the suspend first,
    /// it is awake anyway and the wake is dropped.</summary>
    Deferred,

    /// <summary>The guest was suspended: the wake was injected and the vCPUs unparked.</summary>
    Delivered,

    /// <summary>A wake was already delivered and the guest is on its way back.</summary>
    AlreadyResuming,
}
