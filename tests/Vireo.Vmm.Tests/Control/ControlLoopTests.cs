using Vireo.Devices;
using Vireo.Kvm;
using Vireo.Memory;
using Vireo.TestSupport;
using Vireo.Vmm.X86;

namespace Vireo.Vmm.Tests.Control;

/// <summary>The control loop over real vCPUs (a bare machine from <see cref="MachineBuilder"/>,
/// hand-written guests): s2idle traps, wakes, the power policy, pause/resume, hooks, reboots.</summary>
[Collection(SerialCollection.Name)]
public sealed class ControlLoopTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(15);
    private static readonly PioAddress s_port0 = new(0x510);
    private static readonly PioAddress s_port1 = new(0x520);
    private static readonly GuestAddress s_code0 = new(0x10000);
    private static readonly GuestAddress s_code1 = new(0x11000);

    [KvmFact]
    public async Task Entry_parks_every_vcpu_a_wake_unparks_them_and_the_exit_trap_completes_the_cycle()
    {
        using var rig = new Rig();
        using ControlLoop loop = rig.Start();

        await rig.WaitForAsync(S2IdleEventKind.Suspended);
        (long, long) parked = (rig.Counter0.Writes, rig.Counter1.Writes);
        Thread.Sleep(50);
        Assert.Equal(0, parked.Item1);
        Assert.Equal(parked, (rig.Counter0.Writes, rig.Counter1.Writes));
        VmInfo info = await loop.SendAsync(new GetVmInfo());
        Assert.Equal("s2idle", info.PowerState);
        Assert.Equal(VmState.Running, info.State);

        await loop.SendAsync(new WakeVm("api", strict: true));
        await rig.WaitForAsync(S2IdleEventKind.Resumed);
        rig.WaitUntil(() => rig.Counter0.Writes > 0 && rig.Counter1.Writes > parked.Item2);
        Assert.Equal("s0", (await loop.SendAsync(new GetVmInfo())).PowerState);
        Assert.Equal("Enter Suspended Exit Resumed", rig.Kinds());
        Assert.Equal("api", rig.Events.Single(e => e.Kind == S2IdleEventKind.Exit).Source);
        // The wake's status was acknowledged at the exit trap, so the running guest is not left
        // with a power-button press it never asked for.
        Assert.Equal(0, rig.Built!.PowerManagement.GetState().Pm1Status & PwrBtnSts);

        await loop.SendAsync(new ShutdownVm(force: true));
        VmmResult result = await loop.Completion.WaitAsync(s_timeout);
        Assert.Equal(MachineExitReason.Stopped, result.Exit.Reason);
    }

    [KvmFact]
    public async Task A_wake_the_guest_never_acknowledges_is_reported_and_retried_a_bounded_number_of_times()
    {
        var log = new List<string>();
        var options = new ControlLoopOptions
        {
            WakeAckTimeout = TimeSpan.FromMilliseconds(100),
            WakeRetries = 2,
            Log = line =>
            {
                lock (log)
                {
                    log.Add(line);
                }
            },
        };
        using var rig = new Rig(options, acknowledges: false);
        using ControlLoop loop = rig.Start();
        await rig.WaitForAsync(S2IdleEventKind.Suspended);

        await loop.SendAsync(new WakeVm("api", strict: true));
        rig.WaitUntil(() => rig.Published.Count(n => n == ControlLoop.WakeUnacknowledgedEvent) == 3);
        Thread.Sleep(300);

        // Three reports (the first wake and two retries), then it stops trying, and says so.
        Assert.Equal(3, rig.Published.Count(n => n == ControlLoop.WakeUnacknowledgedEvent));
        string[] lines;
        lock (log)
        {
            lines = [.. log.Where(l => l.Contains("has not resumed", StringComparison.Ordinal))];
        }
        Assert.Equal(3, lines.Length);
        Assert.Contains("waking it again (1 of 2)", lines[0]);
        Assert.Contains("waking it again (2 of 2)", lines[1]);
        Assert.Contains("shutdown --force", lines[2]);
        Assert.Equal("Enter Suspended Exit", rig.Kinds());
        Assert.Equal("s0", (await loop.SendAsync(new GetVmInfo())).PowerState);
        await loop.SendAsync(new ShutdownVm(force: true));
    }

    [KvmFact]
    public async Task A_wake_at_the_entry_trap_cuts_the_suspend_short_without_a_suspended_state()
    {
        using var rig = new Rig(new ControlLoopOptions { S2IdleWakeAfter = TimeSpan.Zero });
        using ControlLoop loop = rig.Start();

        await rig.WaitForAsync(S2IdleEventKind.Resumed);
        rig.WaitUntil(() => rig.Counter0.Writes > 0);
        Assert.Equal("Enter Exit Resumed", rig.Kinds());
        Assert.Equal(ControlLoop.TimerWakeSource, rig.Events.Single(e => e.Kind == S2IdleEventKind.Exit).Source);
        await loop.SendAsync(new ShutdownVm(force: true));
    }

    [KvmFact]
    public async Task The_power_button_wakes_a_suspended_guest_and_does_not_ask_it_to_power_off()
    {
        using var rig = new Rig();
        using ControlLoop loop = rig.Start();
        await rig.WaitForAsync(S2IdleEventKind.Suspended);

        await loop.SendAsync(new PressPowerButton());
        await rig.WaitForAsync(S2IdleEventKind.Resumed);

        Assert.Equal(VmEventNames.PowerButton, rig.Events.Single(e => e.Kind == S2IdleEventKind.Exit).Source);
        Assert.Equal(0, rig.Built!.PowerManagement.GetState().Pm1Status & PwrBtnSts);
        await loop.SendAsync(new ShutdownVm(force: true));
    }

    [KvmFact]
    public async Task A_graceful_shutdown_of_a_suspended_guest_wakes_it_and_presses_the_button_once_it_has_resumed()
    {
        using var rig = new Rig();
        using ControlLoop loop = rig.Start();
        await rig.WaitForAsync(S2IdleEventKind.Suspended);

        // Before: the press went to parked vCPUs and nothing unparked them.
        await loop.SendAsync(new ShutdownVm(force: false));
        await rig.WaitForAsync(S2IdleEventKind.Resumed);
        rig.WaitUntil(() => rig.Counter0.Writes > 0);

        Assert.Equal("shutdown", rig.Events.Single(e => e.Kind == S2IdleEventKind.Exit).Source);
        // The press follows the guest's exit trap (the observer sees "resumed" just before it):
        // the wake itself was the global event, so this is the power-off request.
        rig.WaitUntil(() => (rig.Built!.PowerManagement.GetState().Pm1Status & PwrBtnSts) != 0);
        await loop.SendAsync(new ShutdownVm(force: true));
    }

    [KvmFact]
    public async Task Hooks_run_on_the_control_thread_never_on_a_vcpu_thread()
    {
        var hooks = new RecordingHooks();
        using var rig = new Rig(new ControlLoopOptions { OnSuspend = "suspend-hook", OnResume = "resume-hook", HookRunner = hooks });
        using ControlLoop loop = rig.Start();
        await rig.WaitForAsync(S2IdleEventKind.Suspended);
        await loop.SendAsync(new WakeVm("api", strict: true));
        await rig.WaitForAsync(S2IdleEventKind.Resumed);
        await loop.SendAsync(new ShutdownVm(force: true));

        Assert.Equal(
            [("suspend-hook", "suspended", 1L, ControlLoop.ThreadName, false), ("resume-hook", "resumed", 1L, ControlLoop.ThreadName, false)],
            hooks.Calls);
    }

    [KvmFact]
    public async Task Pause_and_resume_follow_the_transition_table_and_put_the_devices_to_sleep_in_pairs()
    {
        using var rig = new Rig(guestSuspends: false);
        using ControlLoop loop = rig.Start();
        rig.WaitUntil(() => rig.Counter0.Writes > 0);

        await loop.SendAsync(new PauseVm());
        Assert.Equal(VmState.Paused, (await loop.SendAsync(new GetVmInfo())).State);
        long paused = rig.Counter0.Writes;
        Thread.Sleep(30);
        Assert.Equal(paused, rig.Counter0.Writes);
        VmStateException again = await Assert.ThrowsAsync<VmStateException>(() => loop.SendAsync(new PauseVm()));
        Assert.Contains("already paused", again.Message);

        await loop.SendAsync(new ResumeVm());
        rig.WaitUntil(() => rig.Counter0.Writes > paused);
        VmStateException notPaused = await Assert.ThrowsAsync<VmStateException>(() => loop.SendAsync(new ResumeVm()));
        Assert.Contains("not paused", notPaused.Message);
        await Assert.ThrowsAsync<VmStateException>(() => loop.SendAsync(new WakeVm("api", strict: true)));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => loop.SendAsync(new RaiseGpe(AcpiPmDevice.GpeCount)));
        // A PC has no SDEI firmware: the signal is refused by name, and the VM goes on.
        VmStateException noSdei = await Assert.ThrowsAsync<VmStateException>(() => loop.SendAsync(new SignalSdeiEvent(0, 0)));
        Assert.Contains("no SDEI firmware", noSdei.Message);

        await loop.SendAsync(new ShutdownVm(force: true));
        await loop.Completion.WaitAsync(s_timeout);
        await Assert.ThrowsAsync<VmStateException>(() => loop.SendAsync(new PauseVm()));
        Assert.Equal(["sleep", "wake"], rig.Device.Calls);
        rig.WaitUntil(() => rig.Published.Contains(VmEventNames.Shutdown));
        Assert.Equal([VmEventNames.Booted, VmEventNames.Paused, VmEventNames.Resumed, VmEventNames.Shutdown], rig.Published.Where(n => n != VmEventNames.Gpe));
    }

    [KvmFact]
    public async Task Devices_sleep_while_the_guest_is_suspended_and_a_pause_in_between_does_not_wake_them()
    {
        using var rig = new Rig();
        using ControlLoop loop = rig.Start();
        await rig.WaitForAsync(S2IdleEventKind.Suspended);
        await loop.SendAsync(new PauseVm());
        await loop.SendAsync(new ResumeVm());
        Assert.Equal(["sleep"], rig.Device.Calls);

        await loop.SendAsync(new WakeVm("api", strict: true));
        await rig.WaitForAsync(S2IdleEventKind.Resumed);
        Assert.Equal(["sleep", "wake"], rig.Device.Calls);
        await loop.SendAsync(new ShutdownVm(force: true));
    }

    [KvmFact]
    public async Task Wakes_from_many_threads_during_many_cycles_keep_every_cycle_well_formed()
    {
        const int cycles = 30;
        using var rig = new Rig(cycles: cycles);
        using ControlLoop loop = rig.Start();
        using var stop = new CancellationTokenSource();
        Task[] wakers = [.. Enumerable.Range(0, 3).Select(i => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                VmmMessage wake = i == 0 ? new PressPowerButton("test") : new WakeVm($"waker{i}");
                loop.Post(wake);
                await Task.Delay(1);
            }
        }))];

        VmmResult result = await loop.Completion.WaitAsync(TimeSpan.FromSeconds(60));
        stop.Cancel();
        await Task.WhenAll(wakers);

        Assert.Equal(MachineExitReason.Halted, result.Exit.Reason);
        PowerManagement.S2IdleEventGrammar.AssertWellFormed(rig.Events);
        Assert.Equal(cycles, rig.Events.Count(e => e.Kind == S2IdleEventKind.Resumed));
    }

    /// <summary>Input typed while no machine exists yet (the first is being built, as a
    /// <c>--restore</c> loading a snapshot is) waits for it and reaches its console, in order.</summary>
    [KvmFact]
    public async Task Console_input_typed_before_the_machine_exists_reaches_its_console()
    {
        using KvmSystem kvm = KvmSystem.Open();
        var input = new RecordingInput();
        using var building = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        BuiltMachine Build()
        {
            building.Set();
            release.Wait(s_timeout);
            Machine machine = TestGuest.Create(kvm);
            TestGuest.LoadRealMode(machine, [0xf4]); // hlt
            return new BuiltMachine(machine, PlatformResources.ForPc(AcpiPmDevice.GpeCount), null, null, null, [], [], consoleInput: input);
        }
        using var loop = new ControlLoop(Build, new VmDescription(1, 2UL << 20, null, null));
        loop.Start();
        Assert.True(building.Wait(s_timeout));

        loop.SendConsoleInput("hel"u8);
        loop.SendConsoleInput("lo\n"u8);
        release.Set();
        VmmResult result = await loop.Completion.WaitAsync(s_timeout);

        Assert.Equal(MachineExitReason.Halted, result.Exit.Reason);
        Assert.Equal("hello\n", System.Text.Encoding.ASCII.GetString([.. input.Received]));
    }

    /// <summary>A machine without ACPI (the arm64 one) has its own button: the power button and a
    /// graceful shutdown press it through <see cref="BuiltMachine.PowerButton"/> (its guest never
    /// enters s2idle, so there is nothing to wake first); a machine with no button at all refuses
    /// both by saying so and keeps running.</summary>
    [KvmFact]
    public async Task A_machine_without_acpi_gets_its_own_power_button_pressed_and_one_without_a_button_refuses()
    {
        using KvmSystem kvm = KvmSystem.Open();
        var button = new CountingButton();
        foreach (IPowerButton? fitted in (IPowerButton?[])[button, null])
        {
            BuiltMachine Build()
            {
                Machine machine = TestGuest.Create(kvm);
                TestGuest.LoadRealMode(machine, [0xeb, 0xfe]); // jmp $
                return new BuiltMachine(machine, PlatformResources.ForPc(AcpiPmDevice.GpeCount), null, null, null, [], [], powerButton: fitted);
            }
            using var loop = new ControlLoop(Build, new VmDescription(1, 2UL << 20, null, null));
            using VmEventSubscription events = loop.Events.Subscribe();
            loop.Start();
            if (fitted is not null)
            {
                await loop.SendAsync(new PressPowerButton("test"));
                await loop.SendAsync(new ShutdownVm(force: false, source: "test"));
                Assert.Equal(2, button.Presses);
            }
            else
            {
                Assert.Contains("no power button", (await Assert.ThrowsAsync<VmStateException>(() => loop.SendAsync(new PressPowerButton("test")))).Message, StringComparison.Ordinal);
                Assert.Contains("no power button", (await Assert.ThrowsAsync<VmStateException>(() => loop.SendAsync(new ShutdownVm(force: false)))).Message, StringComparison.Ordinal);
                Assert.Equal(VmState.Running, (await loop.SendAsync(new GetVmInfo())).State);
            }
            await loop.SendAsync(new ShutdownVm(force: true));
            Assert.Equal(MachineExitReason.Stopped, (await loop.Completion.WaitAsync(s_timeout)).Exit.Reason);
            var pressed = new List<VmEvent>();
            await foreach (VmEvent e in events.ReadAllAsync().WithCancellation(new CancellationTokenSource(s_timeout).Token))
            {
                if (e.Event == VmEventNames.PowerButton)
                {
                    pressed.Add(e);
                }
            }
            // Each press names the button the guest got.
            Assert.Equal(fitted is null ? 0 : 2, pressed.Count);
            Assert.All(pressed, e => Assert.Equal("test button", e.Properties!["button"]));
        }
    }

    private sealed class CountingButton : IPowerButton
    {
        private int _presses;

        public int Presses => Volatile.Read(ref _presses);

        public string PowerButtonName => "test button";

        public void Press() => Interlocked.Increment(ref _presses);
    }

    private sealed class RecordingInput : IConsoleInput
    {
        public List<byte> Received { get; } = [];

        public long Dropped => 0;

        public void Send(ReadOnlySpan<byte> bytes) => Received.AddRange(bytes);
    }

    [KvmFact]
    public async Task A_guest_reboot_with_restart_builds_a_new_machine_and_the_event_stream_lives_on()
    {
        int builds = 0;
        using KvmSystem kvm = KvmSystem.Open();
        BuiltMachine Build()
        {
            BuiltMachine built = MachineBuilder.BuildBare(kvm, new MachineConfig { MemoryBytes = 2UL << 20, Cpus = 1, InKernelIrqchip = false });
            // Two boots end in a triple fault (ud2 with no IDT), which a PC takes as a reboot;
            // the third halts.
            byte[] code = ++builds < 3 ? [0x0f, 0x0b] : [0xf4];
            LongModeSetup.WriteTables(built.Machine.Memory);
            built.Machine.Memory.Write(s_code0, code);
            LongModeSetup.StartAt(built.Machine.Vcpus[0].Vcpu, s_code0, stack: 0x8000);
            return built;
        }
        using var loop = new ControlLoop(Build, new VmDescription(1, 2UL << 20, null, null), new ControlLoopOptions { RestartOnReboot = true });
        using VmEventSubscription events = loop.Events.Subscribe();
        loop.Start();

        VmmResult result = await loop.Completion.WaitAsync(s_timeout);
        List<string> names = [];
        await foreach (VmEvent e in events.ReadAllAsync().WithCancellation(new CancellationTokenSource(s_timeout).Token))
        {
            names.Add(e.Event);
        }

        Assert.Equal(MachineExitReason.Halted, result.Exit.Reason);
        Assert.Equal(3, result.Boots);
        Assert.Equal(3, builds);
        Assert.Equal(["booted", "shutdown", "booted", "shutdown", "booted", "shutdown"], names);
    }

    [KvmFact]
    public async Task A_wake_posted_while_suspended_releases_the_guest_on_the_posting_thread()
    {
        using var rig = new Rig();
        using ControlLoop loop = rig.Start();
        await rig.WaitForAsync(S2IdleEventKind.Suspended);
        // Armed once the loop is done with the entry trap's message.
        rig.WaitUntil(() => loop.IsWakeLatchArmed);

        var wake = new WakeVm("api", strict: true);
        loop.Post(wake);

        // Before Post returned, on this thread, with no help from the control thread: devices
        // awake, vCPUs let go.
        Assert.Equal(Environment.CurrentManagedThreadId, rig.Device.WokenOn);
        Assert.False(rig.Built!.Machine.Vcpus[0].IsParked);
        Assert.False(rig.Built.Machine.Vcpus[1].IsParked);
        Assert.Equal(["sleep", "wake"], rig.Device.Calls);
        Assert.False(loop.IsWakeLatchArmed);
        // The loop still records it as its own wake, in order, and the strict request succeeds.
        await wake.Reply.WaitAsync(s_timeout);
        await rig.WaitForAsync(S2IdleEventKind.Resumed);
        Assert.Equal("Enter Suspended Exit Resumed", rig.Kinds());
        Assert.Equal("api", rig.Events.Single(e => e.Kind == S2IdleEventKind.Exit).Source);
        Assert.Equal("s0", (await loop.SendAsync(new GetVmInfo())).PowerState);
        await loop.SendAsync(new ShutdownVm(force: true));
    }

    [KvmTheory]
    [InlineData("api")]
    [InlineData("power-button")]
    [InlineData("timer")]
    public async Task Every_wake_unparks_the_vcpus_before_its_s2idle_exit_event_is_observed(string how)
    {
        var options = how == "timer" ? new ControlLoopOptions { S2IdleWakeAfter = TimeSpan.FromMilliseconds(20) } : null;
        using var rig = new Rig(options);
        bool? parkedAtExit = null;
        IReadOnlyList<string>? devicesAtExit = null;
        rig.OnEvent = e =>
        {
            if (e.Kind == S2IdleEventKind.Exit)
            {
                parkedAtExit = rig.Built!.Machine.Vcpus.Any(v => v.IsParked);
                devicesAtExit = rig.Device.Calls;
            }
        };
        using ControlLoop loop = rig.Start();
        await rig.WaitForAsync(S2IdleEventKind.Suspended);

        if (how == "api")
        {
            await loop.SendAsync(new WakeVm("api", strict: true));
        }
        else if (how == "power-button")
        {
            await loop.SendAsync(new PressPowerButton());
        }
        await rig.WaitForAsync(S2IdleEventKind.Resumed);

        Assert.False(parkedAtExit);
        Assert.Equal(["sleep", "wake"], devicesAtExit);
        Assert.Equal("Enter Suspended Exit Resumed", rig.Kinds());
        await loop.SendAsync(new ShutdownVm(force: true));
    }

    [KvmFact]
    public async Task A_paused_suspended_guest_is_not_released_by_a_wake_until_it_is_resumed()
    {
        using var rig = new Rig();
        using ControlLoop loop = rig.Start();
        await rig.WaitForAsync(S2IdleEventKind.Suspended);
        rig.WaitUntil(() => loop.IsWakeLatchArmed);
        await loop.SendAsync(new PauseVm());
        Assert.False(loop.IsWakeLatchArmed);

        await loop.SendAsync(new WakeVm("api", strict: true));
        Thread.Sleep(30);

        // The wake is taken (the park is released) but the pause holds the vCPUs and the devices.
        Assert.Equal("Enter Suspended Exit", rig.Kinds());
        Assert.Equal(["sleep"], rig.Device.Calls);
        Assert.Equal(0, rig.Counter0.Writes);
        await loop.SendAsync(new ResumeVm());
        await rig.WaitForAsync(S2IdleEventKind.Resumed);
        Assert.Equal(["sleep", "wake"], rig.Device.Calls);
        await loop.SendAsync(new ShutdownVm(force: true));
    }

    [KvmFact]
    public async Task Requests_posted_while_the_loop_ends_and_after_it_are_all_answered()
    {
        using var rig = new Rig();
        ControlLoop loop = rig.Start();
        await rig.WaitForAsync(S2IdleEventKind.Suspended);
        var replies = new List<Task>();
        using var stop = new CancellationTokenSource();
        Task[] posters = [.. Enumerable.Range(0, 3).Select(i => Task.Factory.StartNew(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                VmmRequest<VmmAck> request = i == 0 ? new WakeVm("api") : new RaiseGpe(1);
                loop.Post(request);
                lock (replies)
                {
                    replies.Add(request.Reply);
                }
                Thread.Yield();
            }
        }, TaskCreationOptions.LongRunning))];
        Thread.Sleep(20);

        await loop.SendAsync(new ShutdownVm(force: true));
        await loop.Completion.WaitAsync(s_timeout);
        loop.Dispose();
        Thread.Sleep(20);
        stop.Cancel();
        await Task.WhenAll(posters);
        var late = new GetVmInfo();
        loop.Post(late);

        Task[] all;
        lock (replies)
        {
            all = [.. replies, late.Reply];
        }
        // Each one completed or failed with "shut down"; none was lost in the queue.
        Task settled = Task.WhenAll(all.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));
        Assert.Same(settled, await Task.WhenAny(settled, Task.Delay(s_timeout)));
        Assert.All(all, t => Assert.True(t.IsCompletedSuccessfully || t.Exception?.InnerException is VmStateException, t.Exception?.ToString()));
        Assert.IsType<VmStateException>(late.Reply.Exception?.InnerException);
    }

    private const int PwrBtnSts = 1 << 8; // ACPI 6.5 §4.8.4.1.1

    /// <summary>A bare two-vCPU machine: vCPU 0 makes <c>cycles</c> LPS0 entry/exit trap pairs
    /// and then counts on port 0x510 forever (or halts, with <c>cycles</c> above 1); vCPU 1
    /// counts on 0x520 from the start.</summary>
    private sealed class Rig : IDisposable
    {
        private readonly KvmSystem _kvm = KvmSystem.Open();
        private readonly ControlLoopOptions _options;
        private readonly bool _guestSuspends;
        private readonly int _cycles;
        private readonly List<S2IdleEvent> _events = [];
        private readonly List<string> _published = [];
        private readonly SemaphoreSlim _changed = new(0);
        private ControlLoop? _loop;

        private readonly bool _acknowledges;

        public Rig(ControlLoopOptions? options = null, bool guestSuspends = true, int cycles = 1, bool acknowledges = true)
        {
            _acknowledges = acknowledges;
            _options = options ?? new ControlLoopOptions();
            _guestSuspends = guestSuspends;
            _cycles = cycles;
        }

        public CountingDevice Counter0 { get; } = new();

        public CountingDevice Counter1 { get; } = new();

        public RecordingSuspendable Device { get; } = new();

        public BuiltMachine? Built { get; private set; }

        public IReadOnlyList<S2IdleEvent> Events
        {
            get
            {
                lock (_events)
                {
                    return [.. _events];
                }
            }
        }

        public IReadOnlyList<string> Published
        {
            get
            {
                lock (_published)
                {
                    return [.. _published];
                }
            }
        }

        public string Kinds() => string.Join(' ', Events.Select(e => e.Kind));

        public ControlLoop Start()
        {
            _loop = new ControlLoop(Build, new VmDescription(2, 2UL << 20, null, null), _options with { S2IdleObserver = Observe });
            VmEventSubscription subscription = _loop.Events.Subscribe();
            _ = Task.Run(async () =>
            {
                await foreach (VmEvent e in subscription.ReadAllAsync())
                {
                    lock (_published)
                    {
                        _published.Add(e.Event);
                    }
                }
            });
            _loop.Start();
            return _loop;
        }

        public async Task WaitForAsync(S2IdleEventKind kind)
        {
            var deadline = DateTime.UtcNow + s_timeout;
            while (!Events.Any(e => e.Kind == kind))
            {
                Assert.True(DateTime.UtcNow < deadline, $"no {kind} event within {s_timeout}; saw: {Kinds()}");
                await _changed.WaitAsync(TimeSpan.FromMilliseconds(50));
            }
        }

        public void WaitUntil(Func<bool> condition)
        {
            var deadline = DateTime.UtcNow + s_timeout;
            while (!condition())
            {
                Assert.True(DateTime.UtcNow < deadline, "timed out");
                Thread.Sleep(1);
            }
        }

        public void Dispose()
        {
            _loop?.Dispose();
            _kvm.Dispose();
            _changed.Dispose();
        }

        /// <summary>Runs on the control thread as each event is observed, before the test sees it.</summary>
        public Action<S2IdleEvent>? OnEvent { get; set; }

        private void Observe(S2IdleEvent e)
        {
            OnEvent?.Invoke(e);
            lock (_events)
            {
                _events.Add(e);
            }
            _changed.Release();
        }

        private BuiltMachine Build()
        {
            BuiltMachine built = MachineBuilder.BuildBare(_kvm, new MachineConfig { MemoryBytes = 2UL << 20, Cpus = 2, InKernelIrqchip = false });
            built.Machine.Pio.Insert(s_port0, 1, Counter0, "counter 0");
            built.Machine.Pio.Insert(s_port1, 1, Counter1, "counter 1");
            built.AddSuspendable(Device);
            ushort lps = built.LowPowerIdle.Port.Value;
            byte entry = new LowPowerIdleEvent(LowPowerIdleFamily.Amd, LowPowerIdleFunction.Entry).Code;
            byte exit = new LowPowerIdleEvent(LowPowerIdleFamily.Amd, LowPowerIdleFunction.Exit).Code;
            byte[] suspend =
            [
                0xb9, (byte)_cycles, 0, 0, 0,            // mov ecx, cycles
                0x66, 0xba, (byte)lps, (byte)(lps >> 8), // c: mov dx, LPS0
                0xb0, entry,                             // mov al, entry
                0xee,                                    // out dx, al (parks here)
                0xb0, exit,                              // mov al, exit
                _acknowledges ? (byte)0xee : (byte)0x90, // out dx, al (or nop: a guest that never says it resumed)
                0xff, 0xc9,                              // dec ecx
                0x75, 0xf2,                              // jnz c (-14)
            ];
            byte[] count = _cycles > 1
                ? [0xf4]                                 // hlt: the run ends
                : [0x66, 0xba, 0x10, 0x05, 0xee, 0xeb, 0xfd]; // mov dx, 0x510; l: out dx, al; jmp l
            LongModeSetup.WriteTables(built.Machine.Memory);
            built.Machine.Memory.Write(s_code0, [.. _guestSuspends ? suspend : [], .. count]);
            built.Machine.Memory.Write(s_code1, _cycles > 1 ? [0xf4] : [0x66, 0xba, 0x20, 0x05, 0xee, 0xeb, 0xfd]);
            LongModeSetup.StartAt(built.Machine.Vcpus[0].Vcpu, s_code0, stack: 0x8000);
            LongModeSetup.StartAt(built.Machine.Vcpus[1].Vcpu, s_code1, stack: 0x9000);
            Built = built;
            return built;
        }
    }

    internal sealed class RecordingSuspendable : ISuspendable
    {
        private readonly List<string> _calls = [];

        public string PowerName => "recorder";

        public IReadOnlyList<string> Calls
        {
            get
            {
                lock (_calls)
                {
                    return [.. _calls];
                }
            }
        }

        public void Sleep()
        {
            lock (_calls)
            {
                _calls.Add("sleep");
            }
        }

        public void Wake()
        {
            lock (_calls)
            {
                _calls.Add("wake");
                WokenOn = Environment.CurrentManagedThreadId;
            }
        }

        /// <summary>The managed thread id of the last <see cref="Wake"/>.</summary>
        public int WokenOn { get; private set; }

        public object Snapshot() => Calls;
    }

    private sealed class RecordingHooks : IHostHookRunner
    {
        private readonly List<(string, string, long, string?, bool)> _calls = [];

        public IReadOnlyList<(string Command, string Event, long Cycle, string? Thread, bool OnVcpu)> Calls
        {
            get
            {
                lock (_calls)
                {
                    return [.. _calls];
                }
            }
        }

        public void Start(string command, string eventName, long cycle)
        {
            lock (_calls)
            {
                _calls.Add((command, eventName, cycle, Thread.CurrentThread.Name, VcpuRunner.Current is not null));
            }
        }
    }
}
