namespace Vireo.Vmm;

/// <summary>Where the guest is in a suspend-to-idle cycle, as <see cref="S2IdleStateMachine"/>
/// tracks it: Running → Entering → Suspended → Resuming → Running, or Entering → Running when the
/// guest aborts.</summary>
public enum S2IdleState
{
    /// <summary>Working (S0): no suspend in progress.</summary>
    Running,

    /// <summary>The guest's LPS0 entry _DSM trapped and the vCPUs are being parked.</summary>
    Entering,

    /// <summary>Every vCPU is parked; only a wake request leaves this state.</summary>
    Suspended,

    /// <summary>The wake was injected and the vCPUs run; the guest's LPS0 exit _DSM has not trapped yet.</summary>
    Resuming,
}
