namespace Vireo.Vmm;

/// <summary>The policy a <see cref="ControlLoop"/> applies: what a guest reboot means, when to
/// wake a suspended guest on its own, which host commands to run, and how long a wake may go
/// unacknowledged.</summary>
public sealed record ControlLoopOptions
{
    /// <summary>Boot the guest again after it reboots (`--on-reboot restart`); otherwise the
    /// reboot ends the run.</summary>
    public bool RestartOnReboot { get; init; }

    /// <summary>`--s2idle-wake-after`: wake every suspend this long after the vCPUs are parked;
    /// zero wakes it at the entry trap (the suspend is cut short); null leaves it suspended.</summary>
    public TimeSpan? S2IdleWakeAfter { get; init; }

    /// <summary>Host command run when the guest is suspended (its vCPUs parked).</summary>
    public string? OnSuspend { get; init; }

    /// <summary>Host command run when the guest has resumed.</summary>
    public string? OnResume { get; init; }

    /// <summary>How long after a wake the guest's LPS0 exit _DSM may take before the wake counts
    /// as unacknowledged: a `wake-unacknowledged` event, a line on the log, and the wake again.</summary>
    public TimeSpan WakeAckTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Wakes injected again after the first one goes unacknowledged; after the last one
    /// the loop says so and leaves the guest to come back, or not, on its own.</summary>
    public int WakeRetries { get; init; } = 3;

    /// <summary>Starts the hooks; <see cref="ShellHookRunner"/> when null.</summary>
    public IHostHookRunner? HookRunner { get; init; }

    /// <summary>Sees every s2idle transition on the control thread as it happens, before it is
    /// published (benchmarks and tests time them); must not block.</summary>
    public Action<S2IdleEvent>? S2IdleObserver { get; init; }

    /// <summary>Receives one line per notable transition (without the "vireo: " prefix).</summary>
    public Action<string>? Log { get; init; }
}
