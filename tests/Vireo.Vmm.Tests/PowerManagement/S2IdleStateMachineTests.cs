using Vireo.Devices;

namespace Vireo.Vmm.Tests.PowerManagement;

public sealed class S2IdleStateMachineTests
{
    private readonly RecordingS2IdleHost _host = new();
    private readonly List<S2IdleEvent> _events = [];
    private readonly S2IdleStateMachine _machine;

    public S2IdleStateMachineTests()
    {
        _machine = new S2IdleStateMachine(_host, e =>
        {
            lock (_events)
            {
                _events.Add(e);
            }
        }, new SteppingTimeProvider());
    }

    private string Kinds => string.Join(' ', _events.Select(e => e.Kind));

    [Fact]
    public void ANormalCycleParksOnEntryWakesOnRequestAndEndsOnTheGuestsExit()
    {
        Assert.Equal(S2IdleState.Running, _machine.State);
        Assert.Equal("s0", _machine.PowerState);

        _machine.GuestEntered();
        Assert.Equal(S2IdleState.Suspended, _machine.State);
        Assert.Equal("s2idle", _machine.PowerState);
        Assert.Equal(["park"], _host.Calls);

        Assert.Equal(S2IdleWakeOutcome.Delivered, _machine.RequestWake("api"));
        Assert.Equal(S2IdleState.Resuming, _machine.State);
        Assert.Equal("s0", _machine.PowerState);
        Assert.Equal(["park", "wake", "unpark"], _host.Calls);

        _machine.GuestExited();
        Assert.Equal(S2IdleState.Running, _machine.State);
        Assert.Equal("Enter Suspended Exit Resumed", Kinds);
        Assert.Equal(["s2idle-enter", "suspended", "s2idle-exit", "resumed"], _events.Select(e => e.Name));
        Assert.All(_events, e => Assert.Equal(1, e.Cycle));
        Assert.Equal("api", _events[2].Source);
        Assert.Equal(SteppingTimeProvider.Start.AddMilliseconds(1), _events[0].Time);
        S2IdleEventGrammar.AssertWellFormed(_events);
        Assert.Equal(1, _machine.Cycles);
        Assert.Equal(0, _machine.IgnoredTraps);
    }

    [Fact]
    public void AWakeTheHostAlreadyReleasedIsRecordedWithoutCallingTheHostAgain()
    {
        _machine.GuestEntered();
        // What the control loop's wake latch does on the waker's thread, in RequestWake's order.
        _host.InjectWake();
        _host.UnparkVcpus();

        _machine.WakeReleased("api");

        Assert.Equal(S2IdleState.Resuming, _machine.State);
        Assert.Equal(["park", "wake", "unpark"], _host.Calls);
        Assert.Equal("Enter Suspended Exit", Kinds);
        Assert.Equal("api", _events[2].Source);
        // The rest of the cycle is the usual one: a second wake has nothing to do, the exit trap resumes.
        Assert.Equal(S2IdleWakeOutcome.AlreadyResuming, _machine.RequestWake("serial"));
        _machine.GuestExited();
        Assert.Equal("Enter Suspended Exit Resumed", Kinds);
        S2IdleEventGrammar.AssertWellFormed(_events);
    }

    [Fact]
    public void AReleasedWakeOutsideSuspendedIsABugInTheOwnerAndChangesNothing()
    {
        Assert.Throws<InvalidOperationException>(() => _machine.WakeReleased("api"));
        Assert.Equal(S2IdleState.Running, _machine.State);
        Assert.Empty(_events);
    }

    [Fact]
    public void AWakeWhileRunningIsRefusedAndForgotten()
    {
        Assert.Equal(S2IdleWakeOutcome.NotSuspended, _machine.RequestWake("api"));
        Assert.Empty(_host.Calls);
        Assert.Empty(_events);

        // It does not cancel the next suspend.
        _machine.GuestEntered();
        Assert.Equal(S2IdleState.Suspended, _machine.State);
    }

    [Fact]
    public void AWakeWhileEnteringIsDeliveredAsSoonAsTheParkCompletes()
    {
        S2IdleWakeOutcome? outcome = null;
        _host.DuringPark = () =>
        {
            Assert.Equal(S2IdleState.Entering, _machine.State);
            Assert.Equal("s0", _machine.PowerState);
            outcome = RunOnOtherThread(() => _machine.RequestWake("timer"));
            // A second request while entering is the same pending wake.
            Assert.Equal(S2IdleWakeOutcome.Deferred, RunOnOtherThread(() => _machine.RequestWake("api")));
        };

        _machine.GuestEntered();

        Assert.Equal(S2IdleWakeOutcome.Deferred, outcome);
        Assert.Equal(S2IdleState.Resuming, _machine.State);
        Assert.Equal(["park", "wake", "unpark"], _host.Calls);
        // Never reported suspended: the guest did not stay so.
        Assert.Equal("Enter Exit", Kinds);
        Assert.Equal("timer", _events[1].Source);

        _machine.GuestExited();
        Assert.Equal("Enter Exit Resumed", Kinds);
        S2IdleEventGrammar.AssertWellFormed(_events);
    }

    [Fact]
    public void AWakeWhileResumingChangesNothing()
    {
        _machine.GuestEntered();
        _machine.RequestWake("api");

        Assert.Equal(S2IdleWakeOutcome.AlreadyResuming, _machine.RequestWake("serial"));

        Assert.Equal(["park", "wake", "unpark"], _host.Calls);
        Assert.Equal("Enter Suspended Exit", Kinds);
        Assert.Equal(S2IdleState.Resuming, _machine.State);
    }

    [Fact]
    public void AnExitBeforeTheParkCompletesAbortsAndUnparksAtOnce()
    {
        _host.DuringPark = () =>
        {
            RunOnOtherThread(() => _machine.RequestWake("api"));
            RunOnOtherThread(_machine.GuestExited);
            Assert.Equal(S2IdleState.Running, _machine.State);
        };

        _machine.GuestEntered();

        Assert.Equal(S2IdleState.Running, _machine.State);
        Assert.Equal(["park", "unpark"], _host.Calls);
        Assert.Equal("Enter Abort", Kinds);
        Assert.Equal("guest", _events[1].Source);

        // The wake that was pending died with the aborted cycle; the next one works normally.
        _host.DuringPark = null;
        _machine.GuestEntered();
        Assert.Equal(S2IdleState.Suspended, _machine.State);
        Assert.Equal(2, _events[^1].Cycle);
        S2IdleEventGrammar.AssertWellFormed(_events, lastCycleMayBeOpen: true);
    }

    [Fact]
    public void AnEntryAfterAnAbortRidesOnTheParkStillInFlight()
    {
        _host.DuringPark = () =>
        {
            RunOnOtherThread(_machine.GuestExited);
            RunOnOtherThread(_machine.GuestEntered);
        };

        _machine.GuestEntered();

        Assert.Equal(S2IdleState.Suspended, _machine.State);
        Assert.Equal(["park"], _host.Calls);
        Assert.Equal("Enter Abort Enter Suspended", Kinds);
        Assert.Equal([1L, 1L, 2L, 2L], _events.Select(e => e.Cycle));
        S2IdleEventGrammar.AssertWellFormed(_events, lastCycleMayBeOpen: true);
    }

    [Fact]
    public void AFailedParkAbortsUndoesThePartialParkAndThrows()
    {
        _host.ParkFailure = new InvalidOperationException("vCPU 1 is gone");

        var thrown = Assert.Throws<InvalidOperationException>(_machine.GuestEntered);

        Assert.Same(_host.ParkFailure, thrown);
        Assert.Equal(S2IdleState.Running, _machine.State);
        Assert.Equal(["park", "unpark"], _host.Calls);
        Assert.Equal("Enter Abort", Kinds);
        Assert.Equal("park-failed", _events[1].Source);
    }

    [Fact]
    public void TrapsThatDoNotFitTheStateAreCountedAndIgnored()
    {
        _machine.GuestExited();
        _host.DuringPark = () => RunOnOtherThread(_machine.GuestEntered);
        _machine.GuestEntered();
        _machine.RequestWake("api");
        _machine.GuestEntered();

        Assert.Equal(3, _machine.IgnoredTraps);
        Assert.Equal(S2IdleState.Resuming, _machine.State);
        Assert.Equal(["park", "wake", "unpark"], _host.Calls);
        Assert.Equal("Enter Suspended Exit", Kinds);
    }

    [Fact]
    public void OnlyEntryAndExitNotificationsMoveTheMachine()
    {
        foreach (LowPowerIdleFamily family in Enum.GetValues<LowPowerIdleFamily>())
        {
            foreach (LowPowerIdleFunction function in new[] { LowPowerIdleFunction.DisplayOff, LowPowerIdleFunction.DisplayOn, LowPowerIdleFunction.SleepEntry, LowPowerIdleFunction.SleepExit })
            {
                _machine.OnGuestNotification(new LowPowerIdleEvent(family, function));
            }
        }
        Assert.Empty(_events);

        _machine.OnGuestNotification(new LowPowerIdleEvent(LowPowerIdleFamily.Amd, LowPowerIdleFunction.Entry));
        Assert.Equal(S2IdleState.Suspended, _machine.State);
        _machine.OnGuestNotification(new LowPowerIdleEvent(LowPowerIdleFamily.Microsoft, LowPowerIdleFunction.SleepExit));
        Assert.Equal(S2IdleState.Suspended, _machine.State);
        _machine.RequestWake("api");
        _machine.OnGuestNotification(new LowPowerIdleEvent(LowPowerIdleFamily.Intel, LowPowerIdleFunction.Exit));
        Assert.Equal(S2IdleState.Running, _machine.State);
        Assert.Equal("Enter Suspended Exit Resumed", Kinds);
    }

    [Fact]
    public void TheDevicesTrapsDriveTheMachineOnTheWritingThread()
    {
        var device = new LowPowerIdleDevice(new Vireo.Memory.PioAddress(0x630));
        device.Notified += _machine.OnGuestNotification;

        device.Write(0, [0x11]); // Intel display off
        device.Write(0, [0x13]); // Intel LPS0 entry: parks before the write returns
        Assert.Equal(S2IdleState.Suspended, _machine.State);
        _machine.RequestWake("api");
        device.Write(0, [0x14]); // Intel LPS0 exit
        device.Write(0, [0x12]); // Intel display on

        Assert.Equal(S2IdleState.Running, _machine.State);
        Assert.Equal("Enter Suspended Exit Resumed", Kinds);
    }

    [Fact]
    public void AnExitWhileSuspendedMeansTheHostLetTheGuestRunAndEndsTheSuspend()
    {
        _machine.GuestEntered();

        _machine.GuestExited();

        Assert.Equal(1, _machine.UnexpectedTraps);
        Assert.Equal(S2IdleState.Running, _machine.State);
        Assert.Equal(["park", "unpark"], _host.Calls);
        Assert.Equal("Enter Suspended Exit Resumed", Kinds);
        Assert.Equal("guest", _events[2].Source);
    }

    [Fact]
    public void ResetEndsTheCycleInProgressAndUndoesItsPark()
    {
        _machine.GuestEntered();
        _machine.Reset();
        Assert.Equal(S2IdleState.Running, _machine.State);
        Assert.Equal(["park", "unpark"], _host.Calls);

        _host.DuringPark = () => RunOnOtherThread(_machine.Reset);
        _machine.GuestEntered();
        Assert.Equal(S2IdleState.Running, _machine.State);
        Assert.Equal(["park", "unpark", "park", "unpark"], _host.Calls);

        _host.DuringPark = null;
        _machine.GuestEntered();
        _machine.RequestWake("api");
        _machine.Reset();
        Assert.Equal(S2IdleState.Running, _machine.State);

        Assert.Equal("Enter Suspended Abort Enter Abort Enter Suspended Exit", Kinds);
        Assert.All(_events.Where(e => e.Kind == S2IdleEventKind.Abort), e => Assert.Equal("reset", e.Source));
        Assert.False(_host.Parked);
    }

    [Fact]
    public void ASubscriberMayWakeTheGuestFromItsSuspendedEvent()
    {
        var host = new RecordingS2IdleHost();
        var events = new List<S2IdleEvent>();
        S2IdleStateMachine? machine = null;
        machine = new S2IdleStateMachine(host, e =>
        {
            events.Add(e);
            if (e.Kind == S2IdleEventKind.Suspended)
            {
                Assert.Equal(S2IdleWakeOutcome.Delivered, machine!.RequestWake("auto"));
            }
        });

        machine.GuestEntered();
        machine.GuestExited();

        Assert.Equal([S2IdleEventKind.Enter, S2IdleEventKind.Suspended, S2IdleEventKind.Exit, S2IdleEventKind.Resumed], events.Select(e => e.Kind));
        Assert.Equal(["park", "wake", "unpark"], host.Calls);
        S2IdleEventGrammar.AssertWellFormed(events);
    }

    [Fact]
    public void TwentyCyclesInARow()
    {
        for (int i = 0; i < 20; i++)
        {
            _machine.OnGuestNotification(new LowPowerIdleEvent(LowPowerIdleFamily.Intel, LowPowerIdleFunction.DisplayOff));
            _machine.OnGuestNotification(new LowPowerIdleEvent(LowPowerIdleFamily.Intel, LowPowerIdleFunction.Entry));
            Assert.Equal("s2idle", _machine.PowerState);
            Assert.Equal(S2IdleWakeOutcome.Delivered, _machine.RequestWake($"wake{i}"));
            _machine.OnGuestNotification(new LowPowerIdleEvent(LowPowerIdleFamily.Intel, LowPowerIdleFunction.Exit));
            _machine.OnGuestNotification(new LowPowerIdleEvent(LowPowerIdleFamily.Intel, LowPowerIdleFunction.DisplayOn));
            Assert.Equal("s0", _machine.PowerState);
        }

        Assert.Equal(80, _events.Count);
        Assert.Equal(20, _machine.Cycles);
        Assert.Equal(Enumerable.Range(0, 20).SelectMany(_ => new[] { "park", "wake", "unpark" }), _host.Calls);
        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"wake{i}"), _events.Where(e => e.Kind == S2IdleEventKind.Exit).Select(e => e.Source));
        S2IdleEventGrammar.AssertWellFormed(_events);
    }

    [Fact]
    public void EventNamesAreTheApisNames()
    {
        var names = Enum.GetValues<S2IdleEventKind>().Select(k => new S2IdleEvent(k, 1, 1, default, null).Name);
        Assert.Equal(["s2idle-enter", "suspended", "s2idle-exit", "resumed", "s2idle-abort"], names);
    }

    // Other threads' traps and wakes, as they would arrive while the parking vCPU waits.
    private static T RunOnOtherThread<T>(Func<T> action)
    {
        T result = default!;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                result = action();
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        Assert.True(thread.Join(TimeSpan.FromSeconds(10)), "the call blocked");
        if (failure is not null)
        {
            throw new InvalidOperationException("the call on the other thread failed", failure);
        }
        return result;
    }

    private static void RunOnOtherThread(Action action) => RunOnOtherThread(() =>
    {
        action();
        return 0;
    });
}
