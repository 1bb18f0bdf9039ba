using System.Globalization;
using Vireo.Devices;

namespace Vireo.Vmm;

/// <summary>Guest suspend-to-idle inside the control loop: the LPS0 traps, the wakes (requests,
/// timers, console input), the hooks, and the check that the guest really resumed.</summary>
public sealed partial class ControlLoop
{
    /// <summary>The event published when a wake went unacknowledged (no LPS0 exit _DSM within
    /// <see cref="ControlLoopOptions.WakeAckTimeout"/>); properties "cycle" and "attempt".</summary>
    public const string WakeUnacknowledgedEvent = "wake-unacknowledged";

    private ITimer? _wakeTimer;
    private DateTimeOffset _wakeTimerDue;
    private long _wakeTimerToken;
    private ITimer? _ackTimer;
    private long _ackToken;
    private int _ackAttempts;

    private void OnS2IdleTrap(S2IdleTrap trap)
    {
        S2Idle.OnGuestNotification(trap.Notification);
        // The trapping vCPU parked itself at an entry trap. Unless the machine is now parked as
        // a whole (Suspended), no park is in force and it must run on: an entry the state machine
        // ignored, or a suspend cut short, whose unpark may have come before the mark.
        if (trap.Notification.Function == LowPowerIdleFunction.Entry && S2Idle.State != S2IdleState.Suspended)
        {
            trap.Vcpu?.Unpark();
        }
    }

    private void Wake(WakeVm wake)
    {
        RequireLive("wake the guest");
        if (wake.Delay is TimeSpan delay && delay > TimeSpan.Zero)
        {
            ArmWakeTimer(delay);
            return;
        }
        if (S2Idle.State == S2IdleState.Suspended)
        {
            Current.Machine.WakeProbe?.MarkWakeTaken();
        }
        S2IdleWakeOutcome outcome = S2Idle.RequestWake(wake.Source);
        if (outcome == S2IdleWakeOutcome.NotSuspended && wake.Strict)
        {
            throw new VmStateException("the guest is not in suspend-to-idle; there is nothing to wake");
        }
    }

    private void OnS2IdleEvent(S2IdleEvent e)
    {
        _options.S2IdleObserver?.Invoke(e);
        _log($"s2idle: {e.Name} (cycle {e.Cycle}{(e.Source is null ? "" : $", {e.Source}")})");
        var properties = new Dictionary<string, string> { ["cycle"] = e.Cycle.ToString(CultureInfo.InvariantCulture) };
        if (e.Source is string source)
        {
            properties["source"] = source;
        }
        Events.Publish(e.Name, properties);
        switch (e.Kind)
        {
            case S2IdleEventKind.Suspended:
                UpdateDeviceSleep();
                if (_options.OnSuspend is string onSuspend)
                {
                    _hooks.Start(onSuspend, e.Name, e.Cycle);
                }
                if (_options.S2IdleWakeAfter is TimeSpan after && after > TimeSpan.Zero)
                {
                    ArmWakeTimer(after);
                }
                break;
            case S2IdleEventKind.Exit:
                CancelWakeTimer();
                _ackAttempts = 0;
                ArmAckTimer(e.Cycle);
                break;
            case S2IdleEventKind.Resumed:
                CancelAckTimer();
                Current.AcknowledgeS2IdleWake();
                if (_options.OnResume is string onResume)
                {
                    _hooks.Start(onResume, e.Name, e.Cycle);
                }
                if (_powerOffAfterResume)
                {
                    _powerOffAfterResume = false;
                    Current.PowerManagement.PressPowerButton();
                }
                break;
            case S2IdleEventKind.Abort:
                CancelWakeTimer();
                CancelAckTimer();
                break;
            default:
                break;
        }
    }

    /// <summary>Whether a wake posted now would release the guest on the posting thread.</summary>
    internal bool IsWakeLatchArmed => _wakeLatch.IsArmed;

    /// <summary>
    /// Arms the wake latch exactly while a wake would release a suspended guest at once: between
    /// two messages, guest suspended to idle, VM not paused. Only WakeVm's immediate wakes (the
    /// API's vm.wake, console input) fire it; the timer, the power button and a graceful shutdown
    /// decide on this thread as before, because each needs the loop's own state to decide.
    /// </summary>
    private void ArmWakeLatch()
    {
        if (_machine is not null && _state == VmState.Running && _s2idle?.State == S2IdleState.Suspended)
        {
            _wakeLatch.Arm(_releaseForWake);
        }
    }

    /// <summary>Takes the latch back before anything is handled; a wake it released becomes the
    /// state machine's wake (state, s2idle-exit event, acknowledgement timer) here.</summary>
    private void SettleWakeLatch()
    {
        if (_wakeLatch.Disarm() is string source)
        {
            S2Idle.WakeReleased(source);
        }
    }

    /// <summary>On the waker's thread, with the latch held: the release a wake of a suspended
    /// guest does (S2IdleStateMachine's), through the same host calls. The loop is between
    /// messages, so nothing else touches what they touch.</summary>
    private void ReleaseForWake()
    {
        Current.Machine.WakeProbe?.MarkWakeTaken();
        IS2IdleHost host = _s2idleHost;
        try
        {
            host.InjectWake();
        }
        finally
        {
            host.UnparkVcpus();
        }
    }

    /// <summary>One timed wake is pending at a time: the earliest wins, and any wake or abort
    /// consumes it.</summary>
    private void ArmWakeTimer(TimeSpan delay)
    {
        DateTimeOffset due = TimeProvider.System.GetUtcNow() + delay;
        if (_wakeTimer is not null && _wakeTimerDue <= due)
        {
            return;
        }
        _wakeTimer?.Dispose();
        _wakeTimerDue = due;
        long token = ++_wakeTimerToken;
        _wakeTimer = TimeProvider.System.CreateTimer(_ => Post(new WakeTimerFired(token)), null, delay, Timeout.InfiniteTimeSpan);
    }

    private void CancelWakeTimer()
    {
        _wakeTimerToken++;
        _wakeTimer?.Dispose();
        _wakeTimer = null;
    }

    private void OnWakeTimer(WakeTimerFired fired)
    {
        if (fired.Token != _wakeTimerToken || _machine is null)
        {
            return; // replaced or cancelled after it was already on its way
        }
        _wakeTimer?.Dispose();
        _wakeTimer = null;
        S2Idle.RequestWake(TimerWakeSource);
    }

    private void ArmAckTimer(long cycle)
    {
        _ackTimer?.Dispose();
        long token = ++_ackToken;
        _ackTimer = TimeProvider.System.CreateTimer(_ => Post(new WakeAckDue(token, cycle)), null, _options.WakeAckTimeout, Timeout.InfiniteTimeSpan);
    }

    private void CancelAckTimer()
    {
        _ackToken++;
        _ackTimer?.Dispose();
        _ackTimer = null;
    }

    private void CancelWakeTimers()
    {
        CancelWakeTimer();
        CancelAckTimer();
    }

    /// <summary>The guest was woken but its LPS0 exit _DSM has not come: say so, and wake it
    /// again, a bounded number of times, so a lost wake is never a silent hang.</summary>
    private void OnWakeAckDue(WakeAckDue due)
    {
        if (due.Token != _ackToken || _machine is null || S2Idle.State != S2IdleState.Resuming)
        {
            return;
        }
        _ackTimer?.Dispose();
        _ackTimer = null;
        _ackAttempts++;
        bool retry = _ackAttempts <= _options.WakeRetries;
        Events.Publish(WakeUnacknowledgedEvent, new Dictionary<string, string>
        {
            ["cycle"] = due.Cycle.ToString(CultureInfo.InvariantCulture),
            ["attempt"] = _ackAttempts.ToString(CultureInfo.InvariantCulture),
        });
        double seconds = _options.WakeAckTimeout.TotalSeconds * _ackAttempts;
        if (retry)
        {
            _log($"s2idle: the guest has not resumed {seconds:0.#} s after its wake (cycle {due.Cycle}); waking it again ({_ackAttempts} of {_options.WakeRetries})");
            Current.InjectS2IdleWake();
            ArmAckTimer(due.Cycle);
        }
        else
        {
            _log($"s2idle: the guest has not resumed {seconds:0.#} s after its wake (cycle {due.Cycle}) and {_options.WakeRetries} more wakes; " +
                "it may not handle the wake (check that its ACPI core sees the wake GPE) or it hung; `vireo remote shutdown --force` stops it");
        }
    }

    /// <summary>The state machine's host: parks and unparks through the machine, and wakes through
    /// the machine's wake source. All on the control thread.</summary>
    private sealed class S2IdleHost(ControlLoop loop) : IS2IdleHost
    {
        public void ParkVcpus()
        {
            // --s2idle-wake-after 0: the wake is asked for while the state machine is Entering,
            // which keeps it and delivers it once the park is complete, with no Suspended state.
            if (loop._options.S2IdleWakeAfter == TimeSpan.Zero)
            {
                loop.S2Idle.RequestWake(TimerWakeSource);
            }
            loop.Current.Machine.Park();
        }

        public void UnparkVcpus()
        {
            // The park is over, so only a host pause keeps the devices asleep; they wake before any
            // vCPU runs. Not from the s2idle state: a wake latch's release runs before the state
            // machine has heard of it.
            loop.SetDevicesAsleep(loop._state == VmState.Paused);
            loop.Current.Machine.Unpark();
        }

        public void InjectWake() => loop.Current.InjectS2IdleWake();
    }

    /// <summary>An LPS0 _DSM trap, posted from the trapping vCPU's thread.</summary>
    private sealed class S2IdleTrap(int generation, VcpuRunner? vcpu, LowPowerIdleEvent notification) : VmmMessage
    {
        public int Generation { get; } = generation;

        public VcpuRunner? Vcpu { get; } = vcpu;

        public LowPowerIdleEvent Notification { get; } = notification;
    }

    private sealed class WakeTimerFired(long token) : VmmMessage
    {
        public long Token { get; } = token;
    }

    private sealed class WakeAckDue(long token, long cycle) : VmmMessage
    {
        public long Token { get; } = token;

        public long Cycle { get; } = cycle;
    }
}
