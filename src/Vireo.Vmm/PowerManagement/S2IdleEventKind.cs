namespace Vireo.Vmm;

/// <summary>The transitions of <see cref="S2IdleStateMachine"/>, one per edge.</summary>
public enum S2IdleEventKind
{
    /// <summary>Running → Entering: the guest's LPS0 entry _DSM trapped ("s2idle-enter").</summary>
    Enter,

    /// <summary>Entering → Suspended: every vCPU is parked ("suspended").</summary>
    Suspended,

    /// <summary>Suspended (or Entering, with a wake pending) → Resuming: a wake was accepted; it is
    /// injected and the vCPUs unparked right after ("s2idle-exit").</summary>
    Exit,

    /// <summary>Resuming → Running: the guest's LPS0 exit _DSM trapped, so it is back ("resumed").</summary>
    Resumed,

    /// <summary>Entering → Running without suspending: the guest's exit trapped before the park
    /// completed, parking failed, or the machine was reset ("s2idle-abort").</summary>
    Abort,
}
