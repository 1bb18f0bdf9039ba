using Vireo.Acpi;
using Vireo.Devices;
using Vireo.Memory;

namespace Vireo.Vmm;

/// <summary>
/// Guest suspend-to-idle: the Low Power S0 Idle device whose _DSM traps tell Vireo the guest is
/// entering and leaving s2idle, the state machine that parks the vCPUs while it is suspended,
/// and the host's wake sources (<see cref="RequestWake"/>, timers, console input).
/// </summary>
public sealed partial class LinuxVm
{
    /// <summary>The LPS0 device's trap port: right after the ACPI PM window (0x600–0x62f).</summary>
    public static readonly PioAddress LowPowerIdlePort = new(0x630);

    /// <summary>The <see cref="S2IdleEvent.Source"/> of a wake from <see cref="WakeAfter"/> or <see cref="AutoWakeAfter"/>.</summary>
    public const string TimerWakeSource = "timer";

    /// <summary>The <see cref="S2IdleEvent.Source"/> of a wake from host console input.</summary>
    public const string SerialWakeSource = "serial";

    private readonly LowPowerIdleDevice _lowPowerIdle = new(LowPowerIdlePort);
    private readonly Lock _wakeTimerLock = new();
    private S2IdleStateMachine? _s2idle;
    private ITimer? _wakeTimer;
    private DateTimeOffset _wakeTimerDue;
    private long _wakeTimerGeneration; // a timer callback already under way when replaced must not act
    private bool _powerDisposed;

    /// <summary>Every s2idle transition, in order. Raised on the thread that caused it, which may
    /// be a vCPU thread inside its trap: handlers must not block or throw.</summary>
    public event Action<S2IdleEvent>? S2IdleTransition;

    /// <summary>"s0" while the guest works, "s2idle" while it is suspended with its vCPUs parked.</summary>
    public string PowerState => S2Idle.PowerState;

    public S2IdleState S2IdleState => S2Idle.State;

    /// <summary>The guest's LPS0 device, for its counters.</summary>
    public LowPowerIdleDevice LowPowerIdle => _lowPowerIdle;

    /// <summary>When set, every suspend is ended by a timer this long after the vCPUs are parked
    /// (`--s2idle-wake-after`); null leaves the guest suspended until something else wakes it.
    /// Zero requests the wake at the entry trap itself, while the vCPUs are being parked: the
    /// state machine keeps it and delivers it as soon as the park completes, so the cycle ends
    /// without ever being <see cref="S2IdleState.Suspended"/>, the way a wakeup that races the
    /// guest's entry does, but every time rather than by luck of timing.</summary>
    public TimeSpan? AutoWakeAfter { get; set; }

    private S2IdleStateMachine S2Idle => _s2idle ?? throw new InvalidOperationException("the power management devices were not added");

    /// <summary>Wakes a suspended guest (an ACPI fixed event it takes as a wakeup); a
    /// request while it is entering s2idle is kept and delivered once it is parked. Never blocks
    /// on the vCPUs. <paramref name="source"/> names the requester in the events ("api", ...).</summary>
    public S2IdleWakeOutcome RequestWake(string source) => S2Idle.RequestWake(source);

    /// <summary>Requests a wake after <paramref name="delay"/> (`vm.wake` with a delay). One timed
    /// wake is pending at a time, the earliest wins, and any wake or abort consumes it.</summary>
    public void WakeAfter(TimeSpan delay)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero);
        lock (_wakeTimerLock)
        {
            if (_powerDisposed)
            {
                return;
            }
            DateTimeOffset due = TimeProvider.System.GetUtcNow() + delay;
            if (_wakeTimer is not null && _wakeTimerDue <= due)
            {
                return;
            }
            _wakeTimer?.Dispose();
            _wakeTimerDue = due;
            long generation = ++_wakeTimerGeneration;
            _wakeTimer = TimeProvider.System.CreateTimer(_ => OnWakeTimer(generation), null, delay, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>The LPS0 device's AML, which depends only on its port, so ACPI dumps match the VM.</summary>
    private static IEnumerable<IAml> PowerManagementAml() => [new LowPowerIdleDevice(LowPowerIdlePort)];

    private void AddPowerManagementDevices()
    {
        _s2idle = new S2IdleStateMachine(new S2IdleHost(_machine, _pm, WakeAtEntryIfAsked), OnS2IdleEvent);
        _lowPowerIdle.Notified += _s2idle.OnGuestNotification;
        _machine.Pio.Insert(LowPowerIdlePort, LowPowerIdleDevice.WindowLength, _lowPowerIdle, "Low Power S0 Idle (LPS0 _DSM trap)");
        // Input the guest's UART takes while it sleeps (a guest that keeps the port as a wakeup
        // source leaves its receiver on) also wakes it.
        Console.InputArrived += WakeOnConsoleInput;
    }

    /// <summary>A key typed on the host console wakes a suspended guest; it is delivered once the
    /// guest's UART is listening again.</summary>
    private void WakeOnConsoleInput() => S2Idle.RequestWake(SerialWakeSource);

    private void DisposePowerManagement()
    {
        lock (_wakeTimerLock)
        {
            _powerDisposed = true;
            _wakeTimer?.Dispose();
            _wakeTimer = null;
        }
    }

    private void OnS2IdleEvent(S2IdleEvent e)
    {
        switch (e.Kind)
        {
            case S2IdleEventKind.Suspended when AutoWakeAfter is TimeSpan delay && delay > TimeSpan.Zero:
                WakeAfter(delay);
                break;
            case S2IdleEventKind.Exit or S2IdleEventKind.Abort:
                CancelWakeTimer();
                break;
            case S2IdleEventKind.Resumed:
                AcknowledgeWake();
                break;
            default:
                break;
        }
        S2IdleTransition?.Invoke(e);
    }

    /// <summary>
    /// Clears the wake's GBL_STS at the guest's LPS0 exit trap, once its s2idle loop has seen it.
    /// The guest's SCI is still suspended then (the exit _DSM runs before dpm_resume_noirq), so
    /// its SCI handler never has to look at it; left set, it would only be a spurious global-lock
    /// event for the guest, but it would still be an SCI.
    /// </summary>
    private void AcknowledgeWake() => _pm.ClearGlobalEvent();

    private void CancelWakeTimer()
    {
        lock (_wakeTimerLock)
        {
            _wakeTimerGeneration++;
            _wakeTimer?.Dispose();
            _wakeTimer = null;
        }
    }

    private void OnWakeTimer(long generation)
    {
        lock (_wakeTimerLock)
        {
            if (_powerDisposed || generation != _wakeTimerGeneration)
            {
                return;
            }
            _wakeTimer?.Dispose();
            _wakeTimer = null;
        }
        S2Idle.RequestWake(TimerWakeSource);
    }

    /// <summary>`--s2idle-wake-after 0`: called by the host's park, so the state machine is
    /// Entering (the entry trap is in progress and the park has not completed) and keeps the
    /// request (<see cref="S2IdleWakeOutcome.Deferred"/>) for the moment the park does.</summary>
    private void WakeAtEntryIfAsked()
    {
        if (AutoWakeAfter == TimeSpan.Zero)
        {
            S2Idle.RequestWake(TimerWakeSource);
        }
    }

    /// <summary>Parks through the machine, wakes with the fixed-feature global event (see
    /// <see cref="IS2IdleHost.InjectWake"/> for why Linux takes it as a wakeup with no driver
    /// loaded). <paramref name="parking"/> runs first, inside the entry window.</summary>
    private sealed class S2IdleHost(Machine machine, AcpiPmDevice pm, Action parking) : IS2IdleHost
    {
        public void ParkVcpus()
        {
            parking();
            machine.Park();
        }

        public void UnparkVcpus() => machine.Unpark();

        public void InjectWake() => pm.RaiseGlobalEvent();
    }
}
