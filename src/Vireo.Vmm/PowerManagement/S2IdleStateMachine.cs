using Vireo.Devices;

namespace Vireo.Vmm;

/// <summary>
/// The host's side of guest suspend-to-idle: follows the guest's LPS0 entry and exit _DSM traps
/// (<see cref="LowPowerIdleDevice"/>), has the VMM park the vCPUs once the guest has entered,
/// and brings the guest back on a wake request. Every transition becomes an
/// <see cref="S2IdleEvent"/>, delivered in order. Traps come from vCPU threads, wake requests
/// from the API, timers and console input — all of them as messages to the control loop
/// (<see cref="Vmm"/>), which is the only caller: the machine is not thread-safe and needs no
/// lock, because it has one owner.
/// </summary>
/// <remarks>
/// "The host believes the guest is suspended while it is not" cannot happen, by construction:
/// <list type="number">
/// <item>Suspended is entered in one place: after <see cref="IS2IdleHost.ParkVcpus"/> has
/// returned, so every vCPU is held outside KVM_RUN (the trapping vCPU marked itself parked inside
/// its trap, before it could re-enter the guest). The state becomes Suspended only if it is still
/// Entering then. The entry trap is the guest's last _DSM call before it idles
/// (see <see cref="LowPowerIdleDevice"/>), so nothing the guest still had to do is cut short.</item>
/// <item>Suspended is left before any vCPU can run again: a wake first moves the state to
/// Resuming, and only then injects the wake and unparks. Only this class unparks, so a runnable
/// vCPU never coexists with the state Suspended — with one exception that the owner keeps out of
/// sight: a wake it armed to be released by the waker's thread (<see cref="WakeReleased"/>)
/// unparks before the owner calls in, and the owner calls in before it acts on anything else.</item>
/// <item>A wake asked for while the vCPUs are being parked (<c>--s2idle-wake-after 0</c> asks from
/// inside the park) is kept and delivered as soon as the park completes, without a Suspended
/// state. A wake while Running is refused rather than kept, so it cannot cancel a later,
/// unrelated suspend, and it is not injected.</item>
/// <item>Host calls alternate park, [wake], unpark, and exactly one unpark follows each park.</item>
/// </list>
/// Events are queued in transition order and handed to the callback once the transition that
/// made them is complete, so a callback may call back in (a wake from the Suspended event) and
/// sees a consistent machine. All of this is single-threaded: the control loop is the one caller.
/// </remarks>
public sealed class S2IdleStateMachine
{
    /// <summary><see cref="PowerState"/> while the guest is working, in the vm.info vocabulary.</summary>
    public const string WorkingPowerState = "s0";

    /// <summary><see cref="PowerState"/> while the guest is suspended to idle.</summary>
    public const string SuspendedPowerState = "s2idle";

    private readonly IS2IdleHost _host;
    private readonly Action<S2IdleEvent>? _onEvent;
    private readonly TimeProvider _time;
    private readonly Queue<S2IdleEvent> _outbox = new(); // events of the transition in progress
    private S2IdleState _state = S2IdleState.Running;
    private bool _parkInFlight;
    private string? _pendingWakeSource;
    private bool _delivering;
    private long _cycle;
    private long _sequence;
    private long _ignoredTraps;
    private long _unexpectedTraps;

    /// <param name="host">Parks, unparks and wakes the guest.</param>
    /// <param name="onEvent">Receives every transition, in order.</param>
    /// <param name="time">Stamps the events; <see cref="TimeProvider.System"/> when null.</param>
    public S2IdleStateMachine(IS2IdleHost host, Action<S2IdleEvent>? onEvent = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(host);
        _host = host;
        _onEvent = onEvent;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Where the guest is in its cycle.</summary>
    public S2IdleState State => _state;

    /// <summary>"s2idle" only while every vCPU is parked (<see cref="S2IdleState.Suspended"/>), else "s0".</summary>
    public string PowerState => State == S2IdleState.Suspended ? SuspendedPowerState : WorkingPowerState;

    /// <summary>Suspend attempts so far (entry traps taken from Running).</summary>
    public long Cycles => _cycle;

    /// <summary>Entry or exit traps that did not fit the state and changed nothing: a repeated
    /// entry while entering or resuming, an exit while running.</summary>
    public long IgnoredTraps => _ignoredTraps;

    /// <summary>Traps while Suspended, which a host that parks as <see cref="IS2IdleHost.ParkVcpus"/>
    /// requires makes impossible; nonzero means the host let a vCPU run.</summary>
    public long UnexpectedTraps => _unexpectedTraps;

    /// <summary>Feeds one decoded trap from <see cref="LowPowerIdleDevice.Notified"/>; call it on
    /// the trapping vCPU's thread. Display and "modern standby" notifications carry no state.</summary>
    public void OnGuestNotification(LowPowerIdleEvent notification)
    {
        switch (notification.Function)
        {
            case LowPowerIdleFunction.Entry:
                GuestEntered();
                break;
            case LowPowerIdleFunction.Exit:
                GuestExited();
                break;
            default:
                break;
        }
    }

    /// <summary>The guest's LPS0 entry _DSM trapped. Call it on the trapping vCPU's thread, inside
    /// the trap: it may park the vCPUs (and so block until they are) before it returns.</summary>
    public void GuestEntered()
    {
        bool park = false;
        {
            switch (_state)
            {
                case S2IdleState.Running:
                    _state = S2IdleState.Entering;
                    _cycle++;
                    _pendingWakeSource = null;
                    Record(S2IdleEventKind.Enter, null);
                    park = !_parkInFlight;
                    _parkInFlight = true;
                    break;
                case S2IdleState.Suspended:
                    _unexpectedTraps++;
                    break;
                default:
                    _ignoredTraps++;
                    break;
            }
        }
        Deliver();
        if (park)
        {
            ParkAndSettle();
        }
    }

    /// <summary>The guest's LPS0 exit _DSM trapped: it is back from s2idle, or it gave up
    /// entering. Call it on the trapping vCPU's thread; it never blocks.</summary>
    public void GuestExited()
    {
        bool unpark = false;
        {
            switch (_state)
            {
                case S2IdleState.Entering:
                    // Aborted: the guest runs. The park in flight is undone when it completes,
                    // and a pending wake has nothing left to wake.
                    _state = S2IdleState.Running;
                    _pendingWakeSource = null;
                    Record(S2IdleEventKind.Abort, "guest");
                    break;
                case S2IdleState.Resuming:
                    _state = S2IdleState.Running;
                    Record(S2IdleEventKind.Resumed, null);
                    break;
                case S2IdleState.Suspended:
                    // Only a host that broke its park contract gets here. A trapping vCPU proves
                    // the guest runs, so the state must not stay Suspended; unparking keeps the
                    // host's park and unpark paired.
                    _unexpectedTraps++;
                    _state = S2IdleState.Running;
                    Record(S2IdleEventKind.Exit, "guest");
                    Record(S2IdleEventKind.Resumed, null);
                    unpark = true;
                    break;
                default:
                    _ignoredTraps++;
                    break;
            }
        }
        Deliver();
        if (unpark)
        {
            _host.UnparkVcpus();
        }
    }

    /// <summary>Asks for the guest to be woken; <paramref name="source"/> names the requester
    /// in the <see cref="S2IdleEventKind.Exit"/> event. Never blocks on the vCPUs.</summary>
    public S2IdleWakeOutcome RequestWake(string source)
    {
        ArgumentException.ThrowIfNullOrEmpty(source);
        S2IdleWakeOutcome outcome;
        {
            switch (_state)
            {
                case S2IdleState.Running:
                    outcome = S2IdleWakeOutcome.NotSuspended;
                    break;
                case S2IdleState.Entering:
                    _pendingWakeSource ??= source;
                    outcome = S2IdleWakeOutcome.Deferred;
                    break;
                case S2IdleState.Suspended:
                    // Out of Suspended before anything can run (remark 2).
                    _state = S2IdleState.Resuming;
                    Record(S2IdleEventKind.Exit, source);
                    outcome = S2IdleWakeOutcome.Delivered;
                    break;
                default:
                    outcome = S2IdleWakeOutcome.AlreadyResuming;
                    break;
            }
        }
        // The guest is let run first and told of afterwards: subscribers (a log line, the API's
        // events, the acknowledgement timer) are not on the wake's critical path.
        if (outcome == S2IdleWakeOutcome.Delivered)
        {
            WakeAndUnpark();
        }
        Deliver();
        return outcome;
    }

    /// <summary>
    /// Records a wake the host has already carried out while the guest was
    /// <see cref="S2IdleState.Suspended"/>, the same release <see cref="RequestWake"/> does
    /// (<see cref="IS2IdleHost.InjectWake"/> then <see cref="IS2IdleHost.UnparkVcpus"/>), done by
    /// a waker on its own thread because the owner armed it to (the control loop's wake latch):
    /// the state becomes Resuming and the <see cref="S2IdleEventKind.Exit"/> event follows, with
    /// no host call. The owner calls it before anything else once it learns of the release, so
    /// the state was still Suspended; anything else is a bug in the owner.
    /// </summary>
    public void WakeReleased(string source)
    {
        ArgumentException.ThrowIfNullOrEmpty(source);
        if (_state != S2IdleState.Suspended)
        {
            throw new InvalidOperationException($"a wake was released while the state machine was {_state}, not Suspended");
        }
        _state = S2IdleState.Resuming;
        Record(S2IdleEventKind.Exit, source);
        Deliver();
    }

    /// <summary>Forgets the cycle in progress because the guest is being reset or torn down: the
    /// state becomes Running, an unfinished cycle (Entering, Suspended) ends with an
    /// <see cref="S2IdleEventKind.Abort"/> event, and vCPUs this machine parked are unparked.</summary>
    public void Reset()
    {
        bool unpark = false;
        {
            if (_state is S2IdleState.Entering or S2IdleState.Suspended)
            {
                Record(S2IdleEventKind.Abort, "reset");
            }
            // From Entering the park in flight is undone when it completes.
            unpark = _state == S2IdleState.Suspended;
            _state = S2IdleState.Running;
            _pendingWakeSource = null;
        }
        Deliver();
        if (unpark)
        {
            _host.UnparkVcpus();
        }
    }

    private void ParkAndSettle()
    {
        try
        {
            _host.ParkVcpus();
        }
        catch (Exception parkFailure)
        {
            {
                _parkInFlight = false;
                if (_state == S2IdleState.Entering)
                {
                    _state = S2IdleState.Running;
                    _pendingWakeSource = null;
                    Record(S2IdleEventKind.Abort, "park-failed");
                }
            }
            Deliver();
            try
            {
                _host.UnparkVcpus();
            }
            catch (Exception unparkFailure)
            {
                throw new AggregateException("parking the vCPUs failed, and so did undoing it", parkFailure, unparkFailure);
            }
            throw;
        }

        bool wake = false;
        bool unpark = false;
        {
            _parkInFlight = false;
            if (_state != S2IdleState.Entering)
            {
                // The guest aborted, or the machine was reset, while parking: it must run.
                unpark = true;
            }
            else if (_pendingWakeSource is string source)
            {
                _pendingWakeSource = null;
                _state = S2IdleState.Resuming;
                Record(S2IdleEventKind.Exit, source);
                wake = true;
            }
            else
            {
                _state = S2IdleState.Suspended;
                Record(S2IdleEventKind.Suspended, null);
            }
        }
        if (wake)
        {
            WakeAndUnpark();
        }
        else if (unpark)
        {
            _host.UnparkVcpus();
        }
        Deliver();
    }

    // The wake is in place before any vCPU runs, so the guest's s2idle loop sees it at once.
    private void WakeAndUnpark()
    {
        try
        {
            _host.InjectWake();
        }
        finally
        {
            _host.UnparkVcpus();
        }
    }

    private void Record(S2IdleEventKind kind, string? source)
    {
        if (_onEvent is not null)
        {
            _outbox.Enqueue(new S2IdleEvent(kind, _cycle, ++_sequence, _time.GetUtcNow(), source));
        }
    }

    private void Deliver()
    {
        // A callback that calls back in returns here with its own events queued behind the
        // current one; the outer loop delivers them, so every event is delivered once, in order.
        if (_delivering)
        {
            return;
        }
        _delivering = true;
        try
        {
            while (_outbox.TryDequeue(out S2IdleEvent? next))
            {
                _onEvent!(next);
            }
        }
        finally
        {
            _delivering = false;
        }
    }
}
