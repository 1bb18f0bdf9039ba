using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Vireo.Devices;
using Vireo.Sys;

namespace Vireo.Vmm;

/// <summary>
/// The one owner of a running VM. One thread, "vmm-control", reads a queue of
/// <see cref="VmmMessage"/>s — requests from the API and the CLI, and news from vCPUs, devices
/// and timers — and is the only code that changes the VM's state: the life cycle
/// (<see cref="VmStateTransitions"/>), the guest's suspend-to-idle (<see cref="S2IdleStateMachine"/>),
/// the power policy, the reboot loop, the event hub and the host hooks. vCPU threads and devices
/// post and return; they never wait for host work. Each boot's machine comes from the builder
/// function given to the constructor; the API socket and the event stream outlive reboots.
/// See ARCHITECTURE.md for the threads and what each owns.
/// </summary>
public sealed partial class ControlLoop : IVmm, IDisposable
{
    /// <summary>The thread's name, for logs and for tests that check where work runs.</summary>
    public const string ThreadName = "vmm-control";

    private readonly Func<BuiltMachine> _build;
    private readonly VmDescription _description;
    private readonly ControlLoopOptions _options;
    private readonly IHostHookRunner _hooks;
    private readonly Action<string> _log;
    private readonly ConcurrentQueue<VmmMessage> _inbox = new();
    // Rung after every post; the control thread sleeps on it when the queue is empty. An eventfd
    // wakes a sleeping thread in a fraction of the time a Monitor-based wait does, and this hop is
    // on the path of every wake of a suspended guest.
    private readonly EventFd _doorbell = EventFd.Create();
    private readonly TaskCompletionSource<VmmResult> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly long _started = Stopwatch.GetTimestamp();
    private readonly HashSet<string> _lostDevices = []; // control thread only: ids already reported lost
    private readonly S2IdleWakeLatch _wakeLatch = new();
    private readonly Action _releaseForWake;
    private readonly IS2IdleHost _s2idleHost; // stateless, one per loop: the latch's release allocates nothing
    private Thread? _thread;

    // Owned by the control thread from here on.
    private VmState _state = VmState.Created;
    private BuiltMachine? _machine;
    private int _generation;
    private S2IdleStateMachine? _s2idle;
    private bool _powerOffAfterResume;
    private bool _devicesAsleep;
    private bool _stopRequested;
    private VmmResult? _result;
    private int _boots;
    private VmmFootprint? _firstEntry;

    // Read by any thread: current machine for console input, and whether the loop still runs.
    private volatile BuiltMachine? _current;
    private readonly Lock _inputGate = new(); // console input against _current changing
    private readonly List<byte> _inputBeforeMachine = [];
    private volatile bool _closed;

    /// <param name="build">Builds the machine for each boot; called on the control thread.</param>
    /// <param name="description">What vm.info reports of the VM's shape.</param>
    /// <param name="options">The policy; defaults when null.</param>
    public ControlLoop(Func<BuiltMachine> build, VmDescription description, ControlLoopOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(build);
        ArgumentNullException.ThrowIfNull(description);
        _build = build;
        _description = description;
        _options = options ?? new ControlLoopOptions();
        _log = _options.Log ?? (_ => { });
        _hooks = _options.HookRunner ?? new ShellHookRunner(_log);
        _releaseForWake = ReleaseForWake;
        _s2idleHost = new S2IdleHost(this);
    }

    /// <summary>Every VM event, for the API's <c>vm.events</c> and for the CLI; it lives as long
    /// as the loop, across reboots, and completes when the VM has ended.</summary>
    public VmEventHub Events { get; } = new();

    /// <summary>Completes with the result once the VM has ended and the loop has released it.</summary>
    public Task<VmmResult> Completion => _completion.Task;

    /// <summary>Builds and boots the first machine, then serves messages on the control thread.
    /// A failure to build the first machine fails <see cref="Completion"/> with the builder's
    /// exception.</summary>
    public void Start()
    {
        if (_thread is not null)
        {
            throw new InvalidOperationException("the control loop was already started");
        }
        _thread = new Thread(Run) { Name = ThreadName, IsBackground = true };
        _thread.Start();
    }

    /// <summary>Sends a request and waits for its reply without blocking a thread. After the VM
    /// has ended every request fails with <see cref="VmStateException"/>.</summary>
    public Task<TReply> SendAsync<TReply>(VmmRequest<TReply> request)
    {
        ArgumentNullException.ThrowIfNull(request);
        Post(request);
        return request.Reply;
    }

    /// <summary>Posts a message without waiting; safe from any thread, vCPU threads included.</summary>
    public void Post(VmmMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (_closed)
        {
            message.Fail(new VmStateException("the VM has shut down"));
            return;
        }
        _inbox.Enqueue(message);
        // A wake of a suspended guest releases it here, on the waker's thread, when the loop has
        // armed that (S2IdleWakeLatch): after the enqueue, so the wake is ahead of anything the
        // released vCPUs post; before the doorbell, which would only hand the core to the loop.
        if (message is WakeVm { IsNow: true } wake)
        {
            _wakeLatch.TryFire(wake.Source);
        }
        try
        {
            _doorbell.Signal();
        }
        catch (ObjectDisposedException)
        {
            // The loop was disposed meanwhile (a timer or the console racing the end).
        }
        if (_closed)
        {
            // Closed between the check and the enqueue: nobody else will answer it.
            FailQueued();
        }
    }

    /// <summary>Host keystrokes for the guest console: delivered as the guest reads them, and a
    /// wake for a guest suspended to idle (a key on a laptop's keyboard wakes it too).</summary>
    public void SendConsoleInput(ReadOnlySpan<byte> bytes)
    {
        lock (_inputGate)
        {
            if (_current is { } machine)
            {
                machine.ConsoleInput?.Send(bytes);
            }
            else
            {
                // No machine yet (the first is being built, a restore is loading, a reboot is
                // between machines): the next one's console gets it, as typed-ahead input.
                int room = MaxInputBeforeMachine - _inputBeforeMachine.Count;
                _inputBeforeMachine.AddRange(bytes[..Math.Min(room, bytes.Length)]);
            }
        }
        Post(new WakeVm(SerialWakeSource));
    }

    /// <summary>The most console input kept while no machine exists to take it.</summary>
    public const int MaxInputBeforeMachine = 64 << 10;

    /// <summary>The <see cref="S2IdleEvent.Source"/> of a wake from host console input.</summary>
    public const string SerialWakeSource = "serial";

    /// <summary>The <see cref="S2IdleEvent.Source"/> of a timed wake.</summary>
    public const string TimerWakeSource = "timer";

    /// <summary>Stops the VM at once if it still runs, waits for the control thread, and releases the queue.</summary>
    public void Dispose()
    {
        if (_thread is not null && _thread.IsAlive && _thread != Thread.CurrentThread)
        {
            Post(new ShutdownVm(force: true, source: "dispose"));
            _thread.Join();
        }
        _closed = true;
        FailQueued();
        _doorbell.Dispose();
    }

    private void Run()
    {
        try
        {
            VmmConfinement.EnterThread(VmmThreadKind.Control);
            Boot();
            while (_result is null)
            {
                if (_inbox.TryDequeue(out VmmMessage? message))
                {
                    Handle(message);
                }
                else
                {
                    _doorbell.Wait(Timeout.InfiniteTimeSpan);
                }
            }
            _completion.TrySetResult(_result);
        }
        catch (Exception e)
        {
            // A bug, or the first build failing: whatever the loop owned is released below.
            _completion.TrySetException(e);
        }
        finally
        {
            Close();
        }
    }

    private void Handle(VmmMessage message)
    {
        // A wake a waker released since the last message is this loop's first news.
        SettleWakeLatch();
        try
        {
            switch (message)
            {
                case GetVmInfo info:
                    info.Complete(Info());
                    break;
                case PauseVm pause:
                    Pause();
                    pause.Complete(default);
                    break;
                case ResumeVm resume:
                    Resume();
                    resume.Complete(default);
                    break;
                case PressPowerButton press:
                    PowerButton(press.Source);
                    press.Complete(default);
                    break;
                case ShutdownVm shutdown:
                    Shutdown(shutdown.Force, shutdown.Source);
                    shutdown.Complete(default);
                    break;
                case WakeVm wake:
                    Wake(wake);
                    wake.Complete(default);
                    break;
                case RaiseGpe gpe:
                    Gpe(gpe.Gpe);
                    gpe.Complete(default);
                    break;
                case SnapshotVm snapshot:
                    Snapshot(snapshot.Directory);
                    snapshot.Complete(default);
                    break;
                case SignalSdeiEvent sdei:
                    SignalSdei(sdei.Event, sdei.Cpu);
                    sdei.Complete(default);
                    break;
                case MachineEnded ended when ended.Generation == _generation:
                    OnMachineEnded(ended.Exit);
                    break;
                case S2IdleTrap trap when trap.Generation == _generation:
                    OnS2IdleTrap(trap);
                    break;
                case WakeTimerFired timer:
                    OnWakeTimer(timer);
                    break;
                case WakeAckDue due:
                    OnWakeAckDue(due);
                    break;
                case PciDeviceLost lost:
                    OnPciDeviceLost(lost);
                    break;
                case SetDeviceLowPower power:
                    DevicePower(power.Id, power.LowPower);
                    power.Complete(default);
                    break;
                case PciDevicePowerChanged changed when changed.Generation == _generation:
                    OnDevicePower(changed.Event);
                    break;
                default:
                    // News from a machine that has since been replaced: nothing to do.
                    break;
            }
        }
        catch (Exception e) when (e is VmStateException or ArgumentException)
        {
            message.Fail(e);
        }
        ArmWakeLatch();
    }

    private VmInfo Info()
    {
        string power = _state == VmState.Paused ? "paused" : _s2idle?.PowerState ?? S2IdleStateMachine.WorkingPowerState;
        return new VmInfo(_state, power, _description.Cpus, (long)_description.MemoryBytes, _description.Kernel, _description.Cmdline,
            (long)Stopwatch.GetElapsedTime(_started).TotalMilliseconds, _machine?.DescribePciDevices() ?? []);
    }

    /// <summary>A device lost is news, not an end: the VM runs on without it (its BARs read
    /// all-ones). Published once per device for the VM's life, even if a later machine's binding
    /// reports the same dead device again.</summary>
    private void OnPciDeviceLost(PciDeviceLost lost)
    {
        if (!_lostDevices.Add(lost.Id))
        {
            return;
        }
        _log($"PCI device {lost.Id} ({lost.Backend}) lost: {lost.Reason}; the VM keeps running without it");
        Events.Publish(VmEventNames.DeviceLost, new Dictionary<string, string>
        {
            ["id"] = lost.Id,
            ["backend"] = lost.Backend,
            ["reason"] = lost.Reason,
        });
    }

    /// <summary>The host's device power policy: the device enters or leaves low power now. A
    /// device that cannot is a 409 with its reason; the VM is unaffected either way.</summary>
    private void DevicePower(string id, bool lowPower)
    {
        BuiltMachine machine = _machine ?? throw new VmStateException("the VM has no machine running");
        IMachineBoundPciFunction function = machine.BoundPciFunctions.FirstOrDefault(f => f.Id == id)
            ?? throw new ArgumentException($"no assigned PCI device '{id}' (`vireo remote devices` lists them)");
        if (function is not IPowerManagedPciFunction managed)
        {
            throw new VmStateException($"PCI device '{id}' ({function.Backend}) has no power management");
        }
        bool withWakeup = false;
        try
        {
            if (lowPower)
            {
                withWakeup = managed.EnterLowPower();
            }
            else
            {
                managed.ExitLowPower();
            }
        }
        catch (InvalidOperationException e)
        {
            throw new VmStateException(e.Message, e);
        }
        OnDevicePower(lowPower ? DevicePowerEvent.LowPower(id, "api", withWakeup) : DevicePowerEvent.Woke(id, "api"));
    }

    /// <summary>A device's power or notify news: published, and a device wake the guest armed
    /// is sent to it as its wake GPE (Notify 2, so it runtime-resumes the device), after
    /// bringing the guest out of suspend-to-idle first when it is there.</summary>
    private void OnDevicePower(DevicePowerEvent e)
    {
        var properties = new Dictionary<string, string> { ["id"] = e.Id };
        string name;
        switch (e.Kind)
        {
            case DevicePowerEventKind.LowPower:
                name = VmEventNames.DeviceLowPower;
                properties["cause"] = e.Cause;
                properties["wake"] = e.Wake ? "armed" : "none";
                break;
            case DevicePowerEventKind.Wake:
                name = VmEventNames.DeviceWake;
                properties["cause"] = e.Cause;
                if (e.Cause == "device")
                {
                    properties["gpe"] = e.Wake ? "raised" : "none";
                    if (e.Wake)
                    {
                        WakeGuestForDevice(e.Id);
                    }
                }
                break;
            case DevicePowerEventKind.Notify:
                name = VmEventNames.DeviceNotify;
                properties["code"] = string.Create(CultureInfo.InvariantCulture, $"0x{e.Code:x2}");
                break;
            case DevicePowerEventKind.NotifyLost:
                name = VmEventNames.DeviceNotify;
                properties["lost"] = e.Code.ToString(CultureInfo.InvariantCulture);
                properties["reason"] = e.Detail ?? "";
                break;
            case DevicePowerEventKind.Ejected:
                name = VmEventNames.DeviceEjected;
                properties["slot"] = e.Code.ToString(CultureInfo.InvariantCulture);
                properties["address"] = string.Create(CultureInfo.InvariantCulture, $"0000:00:{e.Code:x2}.0");
                break;
            case DevicePowerEventKind.PowerState:
                name = VmEventNames.DevicePowerState;
                properties["state"] = e.Detail ?? "D0";
                properties["wake"] = e.Wake ? "armed" : "none";
                break;
            default:
                name = VmEventNames.DevicePowerFailed;
                properties["reason"] = e.Detail ?? "";
                break;
        }
        Events.Publish(name, properties);
        if (e.Kind != DevicePowerEventKind.Notify)
        {
            _log($"PCI device {e.Id}: {name} {string.Join(' ', properties.Where(p => p.Key != "id").Select(p => $"{p.Key}={p.Value}"))}");
        }
    }

    /// <summary>A device's wake GPE is raised (its wake thread did it, for a guest that awaited
    /// the wake); a guest in suspend-to-idle is woken for it, the GPE being its reason.</summary>
    private void WakeGuestForDevice(string id)
    {
        if (_state == VmState.Running && _s2idle?.State is S2IdleState.Suspended or S2IdleState.Entering)
        {
            if (S2Idle.State == S2IdleState.Suspended)
            {
                Current.Machine.WakeProbe?.MarkWakeTaken();
            }
            S2Idle.RequestWake($"device {id}");
        }
    }

    private void Boot()
    {
        BuiltMachine machine = _build();
        int generation = ++_generation;
        machine.Machine.Exited += exit => Post(new MachineEnded(generation, exit));
        // From a device's thread, or this one for a loss seen while the machine was built.
        machine.ObservePciDeviceLoss((function, reason) => Post(new PciDeviceLost(function.Id, function.Backend, reason)));
        machine.ObservePciDevicePower(e => Post(new PciDevicePowerChanged(generation, e)));
        machine.Sdei?.Dispatcher.Signalled += PublishSdeiSignal;
        // On the trapping vCPU's thread, inside its exit: an entry trap parks that vCPU before
        // it can re-enter the guest (the control loop parks the rest), then both post and return.
        if (machine.HasAcpiPower)
        {
            machine.LowPowerIdle.Notified += notification =>
            {
                VcpuRunner? trapping = VcpuRunner.Current;
                if (notification.Function == LowPowerIdleFunction.Entry)
                {
                    trapping?.RequestPark();
                }
                Post(new S2IdleTrap(generation, trapping, notification));
            };
        }
        _machine = machine;
        _s2idle = new S2IdleStateMachine(_s2idleHost, OnS2IdleEvent);
        _powerOffAfterResume = false;
        _devicesAsleep = false;
        _boots++;
        lock (_inputGate)
        {
            _current = machine;
            if (_inputBeforeMachine.Count > 0)
            {
                machine.ConsoleInput?.Send(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_inputBeforeMachine));
                _inputBeforeMachine.Clear();
            }
        }
        machine.Machine.Start();
        if (_state == VmState.Created)
        {
            VmStateTransitions.Check(_state, VmState.Running, "start");
            _state = VmState.Running;
        }
        Events.Publish(VmEventNames.Booted);
    }

    private void Pause()
    {
        VmStateTransitions.Check(_state, VmState.Paused, "pause");
        Current.Machine.Pause();
        _state = VmState.Paused;
        UpdateDeviceSleep();
        Events.Publish(VmEventNames.Paused);
    }

    private void Resume()
    {
        VmStateTransitions.Check(_state, VmState.Running, "resume");
        _state = VmState.Running;
        // Devices wake before any vCPU runs (a guest still suspended to idle keeps them asleep).
        UpdateDeviceSleep();
        Current.Machine.Resume();
        Events.Publish(VmEventNames.Resumed, new Dictionary<string, string> { ["from"] = "pause" });
    }

    /// <summary>The power policy, decided here only: a running guest gets the button (a request
    /// to power off); a suspending or suspended guest is woken by it, as real hardware is. A
    /// machine without ACPI (arm64) never leaves <see cref="S2IdleState.Running"/>: it has no LPS0
    /// device to report s2idle, so it always gets the press.</summary>
    private void PowerButton(string source)
    {
        RequireLive("press the power button");
        if (S2Idle.State == S2IdleState.Running)
        {
            PressTheButton();
        }
        else
        {
            S2Idle.RequestWake(VmEventNames.PowerButton);
        }
        Events.Publish(VmEventNames.PowerButton, PowerButtonEvent(source));
    }

    /// <summary>A power-button event's properties: who pressed it, and which button the machine
    /// has (<see cref="IPowerButton.PowerButtonName"/>: the PC's ACPI power button or the arm64
    /// GPIO power key), so a client of <c>vm.events</c> sees what its guest got.</summary>
    private Dictionary<string, string> PowerButtonEvent(string source)
    {
        var properties = new Dictionary<string, string> { ["source"] = source };
        if (Current.PowerButton is IPowerButton button)
        {
            properties["button"] = button.PowerButtonName;
        }
        return properties;
    }

    /// <summary>Presses whichever button the machine has (<see cref="BuiltMachine.PowerButton"/>):
    /// the PC's ACPI power button, the arm64 machine's GPIO power key. Only a guest running (not in
    /// s2idle, which only the PC has) gets here.</summary>
    private void PressTheButton() => (Current.PowerButton ?? throw new VmStateException("this machine has no power button")).Press();

    private void Shutdown(bool force, string source)
    {
        RequireLive("shut down");
        if (force)
        {
            _stopRequested = true;
            Current.Machine.RequestExit(MachineExitReason.Stopped, $"stopped by the host ({source})");
            return;
        }
        if (S2Idle.State == S2IdleState.Running)
        {
            PressTheButton();
        }
        else
        {
            // The guest must be running to act on the button: wake it, and press once it has
            // resumed (its exit _DSM), so the press is not taken as the wake itself.
            _powerOffAfterResume = true;
            S2Idle.RequestWake("shutdown");
        }
        Events.Publish(VmEventNames.PowerButton, PowerButtonEvent(source));
    }

    private void Gpe(int gpe)
    {
        if (gpe is < 0 or >= AcpiPmDevice.GpeCount)
        {
            throw new ArgumentOutOfRangeException(nameof(gpe), gpe, $"GPE numbers run from 0 to {AcpiPmDevice.GpeCount - 1}");
        }
        RequireLive("raise a GPE");
        Current.PowerManagement.RaiseGpe(gpe);
        Events.Publish(VmEventNames.Gpe, new Dictionary<string, string> { ["gpe"] = gpe.ToString(CultureInfo.InvariantCulture) });
    }

    /// <summary>vm.snapshot: the paused machine's RAM and register lists into <paramref name="directory"/>;
    /// the VM stays paused. Any failure (a full disk, a directory that holds a snapshot) is the
    /// request's, with the reason, and the VM is untouched.</summary>
    private void Snapshot(string directory)
    {
        if (_state != VmState.Paused)
        {
            throw new VmStateException($"the VM is {_state.ToString().ToLowerInvariant()}: a snapshot is of a paused VM (`vireo remote pause` first)");
        }
        IMachineSnapshotter snapshotter = Current.Snapshotter ?? throw new VmStateException(
            "this machine cannot be snapshotted: Vireo snapshots the arm64 machine only; the PC (x86-64) has no snapshot yet");
        long started = Stopwatch.GetTimestamp();
        try
        {
            // The devices stand still from before their state is read until the RAM is written,
            // so no completion lands in RAM the image has already passed.
            using (snapshotter.Quiesce())
            {
                SnapshotStore.Save(directory, snapshotter.Capture(), Current.Machine.Memory);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or SnapshotException or ErrnoException)
        {
            throw new VmStateException($"the snapshot into {directory} failed: {e.Message}");
        }
        _log($"snapshot written to {directory} in {Stopwatch.GetElapsedTime(started).TotalMilliseconds:F0} ms");
        Events.Publish(VmEventNames.Snapshot, new Dictionary<string, string> { ["path"] = directory });
    }

    private void SignalSdei(uint eventNumber, int? cpu)
    {
        RequireLive("signal an SDEI event");
        global::Vireo.Sdei.SdeiDispatcher dispatcher = Current.Sdei?.Dispatcher ?? throw new VmStateException(
            "this machine has no SDEI firmware: only the arm64 machine has one, on a KVM with the SMCCC filter (Linux 6.4)");
        // The dispatcher reports the signal, taken or not, on vm.events (see StartMachine).
        global::Vireo.Sdei.SdeiReturnCode code = dispatcher.Signal(eventNumber, cpu, "api");
        string target = cpu is int one ? $"vCPU {one}" : "every vCPU it is registered on";
        if (code != global::Vireo.Sdei.SdeiReturnCode.Success)
        {
            throw new VmStateException(code == global::Vireo.Sdei.SdeiReturnCode.Denied
                ? $"SDEI event {eventNumber} is not registered on {target}, so the signal was dropped"
                : $"SDEI event {eventNumber} cannot be signalled there ({code}): it is not in the static table, the vCPU does not exist, or a shared event was given a vCPU");
        }
    }

    /// <summary>Every host signal of an SDEI event (the API's, a bound interrupt's, a device's) on
    /// vm.events, with who raised it and whether a registered handler took it.</summary>
    private void PublishSdeiSignal(global::Vireo.Sdei.SdeiSignal signal)
    {
        var fields = new Dictionary<string, string>
        {
            ["event"] = signal.Event.ToString(CultureInfo.InvariantCulture),
            ["source"] = signal.Source,
            ["result"] = signal.Result switch
            {
                global::Vireo.Sdei.SdeiReturnCode.Success => "taken",
                global::Vireo.Sdei.SdeiReturnCode.Denied => "dropped",
                _ => "invalid",
            },
        };
        if (signal.Vcpu is int vcpu)
        {
            fields["cpu"] = vcpu.ToString(CultureInfo.InvariantCulture);
        }
        Events.Publish(VmEventNames.SdeiSignal, fields);
    }

    private void OnMachineEnded(MachineExit exit)
    {
        BuiltMachine machine = Current;
        // Every vCPU thread ends here; the loop may wait for them, it owns them.
        machine.Machine.Stop();
        S2Idle.Reset();
        CancelWakeTimers();
        string? panic = machine.PanicLine;
        _firstEntry ??= machine.Machine.FirstEntryFootprint;
        VmmFootprint end = machine.Machine.Footprint();
        bool rebooted = exit.Reason is MachineExitReason.Reset or MachineExitReason.Shutdown && panic is null;
        Events.Publish(exit.Reason == MachineExitReason.Reset ? VmEventNames.Reset : VmEventNames.Shutdown,
            new Dictionary<string, string> { ["reason"] = exit.Reason.ToString().ToLowerInvariant() });
        _current = null;
        _machine = null;
        machine.Dispose();
        if (rebooted && _options.RestartOnReboot && !_stopRequested)
        {
            _log("guest rebooted; starting it again (--on-reboot restart)");
            Boot();
            return;
        }
        _state = VmState.Shutdown;
        _result = new VmmResult(exit, panic, _boots, _firstEntry, end);
    }

    /// <summary>
    /// The devices sleep exactly while no vCPU may run guest code for the VM's own reasons: a
    /// host pause, or the guest suspended to idle with its vCPUs parked. Called after every such
    /// change, before vCPUs are let run again; it puts devices to sleep or wakes them only when
    /// that differs from what they are, so the calls stay paired.
    /// </summary>
    private void UpdateDeviceSleep() => SetDevicesAsleep(_state == VmState.Paused || _s2idle?.State == S2IdleState.Suspended);

    private void SetDevicesAsleep(bool asleep)
    {
        BuiltMachine? machine = _machine;
        if (machine is null)
        {
            return;
        }
        if (asleep == _devicesAsleep)
        {
            return;
        }
        _devicesAsleep = asleep;
        if (asleep)
        {
            foreach (ISuspendable device in machine.Suspendables)
            {
                device.Sleep();
            }
        }
        else
        {
            // In reverse, so a device wakes after the ones it may depend on.
            for (int i = machine.Suspendables.Count - 1; i >= 0; i--)
            {
                machine.Suspendables[i].Wake();
            }
        }
    }

    private void RequireLive(string action)
    {
        if (_state is VmState.Shutdown or VmState.Created || _machine is null)
        {
            throw new VmStateException(_state == VmState.Created ? $"cannot {action}: the VM has not started" : $"cannot {action}: the VM has shut down");
        }
    }

    private BuiltMachine Current => _machine ?? throw new InvalidOperationException("no machine is running");

    private S2IdleStateMachine S2Idle => _s2idle ?? throw new InvalidOperationException("no machine is running");

    /// <summary>Ends the loop: releases whatever machine is left, answers every queued request
    /// with "shut down", and completes the event stream.</summary>
    private void Close()
    {
        _closed = true;
        // No waker may touch the machine from here on; one already releasing it is waited for.
        _wakeLatch.Disarm();
        _state = VmState.Shutdown;
        CancelWakeTimers();
        BuiltMachine? machine = _machine;
        _machine = null;
        _current = null;
        if (machine is not null)
        {
            try
            {
                machine.Machine.Stop();
            }
            finally
            {
                machine.Dispose();
            }
        }
        FailQueued();
        Events.Complete();
    }

    private void FailQueued()
    {
        while (_inbox.TryDequeue(out VmmMessage? left))
        {
            left.Fail(new VmStateException("the VM has shut down"));
        }
    }

    /// <summary>A bound PCI function's power or notify news.</summary>
    private sealed class PciDevicePowerChanged(int generation, DevicePowerEvent e) : VmmMessage
    {
        public int Generation { get; } = generation;

        public DevicePowerEvent Event { get; } = e;
    }

    /// <summary>A bound PCI function reported its device gone.</summary>
    private sealed class PciDeviceLost(string id, string backend, string reason) : VmmMessage
    {
        public string Id { get; } = id;

        public string Backend { get; } = backend;

        public string Reason { get; } = reason;
    }

    /// <summary>The run of machine <see cref="Generation"/> ended (posted from whichever thread
    /// recorded the end).</summary>
    private sealed class MachineEnded(int generation, MachineExit exit) : VmmMessage
    {
        public int Generation { get; } = generation;

        public MachineExit Exit { get; } = exit;
    }
}
