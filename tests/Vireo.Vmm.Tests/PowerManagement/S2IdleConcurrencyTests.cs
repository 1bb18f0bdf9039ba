using Vireo.Devices;

namespace Vireo.Vmm.Tests.PowerManagement;

/// <summary>The state machine with real threads: vCPU threads that trap and get parked, and
/// waker threads, in random interleavings, with the invariants checked as they run.</summary>
public sealed class S2IdleConcurrencyTests
{
    private static readonly TimeSpan s_deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public void AThousandRandomInterleavingsOfTrapsAndWakesKeepTheInvariants()
    {
        int[] outcomes = new int[Enum.GetValues<S2IdleWakeOutcome>().Length];
        var shapes = new HashSet<string>();
        for (int seed = 0; seed < 1000; seed++)
        {
            (int[] runOutcomes, IReadOnlyList<S2IdleEvent> events) = RunInterleaving(seed);
            for (int i = 0; i < outcomes.Length; i++)
            {
                outcomes[i] += runOutcomes[i];
            }
            foreach (IGrouping<long, S2IdleEvent> cycle in events.GroupBy(e => e.Cycle))
            {
                shapes.Add(string.Join(' ', cycle.Select(e => e.Kind)));
            }
        }

        // The runs did reach every case: a wake in each state, and each way a cycle can end.
        Assert.All(outcomes, count => Assert.True(count > 0, string.Join(", ", outcomes)));
        Assert.Superset(new HashSet<string> { "Enter Abort", "Enter Exit Resumed", "Enter Suspended Exit Resumed" }, shapes);
    }

    [Fact]
    public void TwentyCyclesInARowWithAParkedVcpuThreadAndAWaker()
    {
        var host = new ParkingS2IdleHost();
        var events = new List<S2IdleEvent>();
        var machine = new S2IdleStateMachine(host, e =>
        {
            lock (events)
            {
                events.Add(e);
            }
        });
        host.Machine = machine;
        host.Register();
        var vcpu = StartThread(() =>
        {
            try
            {
                for (int i = 0; i < 20; i++)
                {
                    // Linux on Intel: display off, LPS0 entry (parks here), then after the wake
                    // LPS0 exit and display on.
                    host.Gate();
                    machine.OnGuestNotification(new LowPowerIdleEvent(LowPowerIdleFamily.Intel, LowPowerIdleFunction.DisplayOff));
                    machine.OnGuestNotification(new LowPowerIdleEvent(LowPowerIdleFamily.Intel, LowPowerIdleFunction.Entry));
                    host.Gate();
                    machine.OnGuestNotification(new LowPowerIdleEvent(LowPowerIdleFamily.Intel, LowPowerIdleFunction.Exit));
                    machine.OnGuestNotification(new LowPowerIdleEvent(LowPowerIdleFamily.Intel, LowPowerIdleFunction.DisplayOn));
                }
            }
            finally
            {
                host.Leave();
            }
        });
        var waker = StartThread(() =>
        {
            int delivered = 0;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (delivered < 20 && clock.Elapsed < s_deadline)
            {
                // Only once suspended, so every cycle has its "suspended" event; a wake while
                // entering would be delivered too, without one.
                if (machine.State == S2IdleState.Suspended && machine.RequestWake("timer") == S2IdleWakeOutcome.Delivered)
                {
                    delivered++;
                }
                Thread.Yield();
            }
        });

        Assert.True(vcpu.Join(s_deadline), "the vCPU thread hung");
        Assert.True(waker.Join(s_deadline), "the waker hung");

        Assert.Empty(host.Violations);
        Assert.Equal(S2IdleState.Running, machine.State);
        Assert.Equal(20, host.Parks);
        Assert.Equal(20, host.Unparks);
        Assert.Equal(20, host.Wakes);
        Assert.Equal(80, events.Count);
        Assert.All(events.Chunk(4), c => Assert.Equal([S2IdleEventKind.Enter, S2IdleEventKind.Suspended, S2IdleEventKind.Exit, S2IdleEventKind.Resumed], c.Select(e => e.Kind)));
        S2IdleEventGrammar.AssertWellFormed(events);
    }

    private static (int[] Outcomes, IReadOnlyList<S2IdleEvent> Events) RunInterleaving(int seed)
    {
        var random = new Random(seed);
        int vcpuCount = random.Next(1, 5);
        int wakerCount = random.Next(1, 3);
        var host = new ParkingS2IdleHost();
        var events = new List<S2IdleEvent>();
        var machine = new S2IdleStateMachine(host, e =>
        {
            lock (events)
            {
                events.Add(e);
            }
        });
        host.Machine = machine;
        int[] outcomes = new int[Enum.GetValues<S2IdleWakeOutcome>().Length];

        var threads = new List<Thread>();
        for (int v = 0; v < vcpuCount; v++)
        {
            int threadSeed = random.Next();
            host.Register();
            threads.Add(StartThread(() => GuestLoop(host, machine, new Random(threadSeed))));
        }
        var wakers = new List<Thread>();
        for (int w = 0; w < wakerCount; w++)
        {
            int threadSeed = random.Next();
            wakers.Add(StartThread(() =>
            {
                var r = new Random(threadSeed);
                for (int i = 0; i < 8; i++)
                {
                    Pause(r);
                    S2IdleWakeOutcome outcome = machine.RequestWake(r.Next(2) == 0 ? "api" : "serial");
                    Interlocked.Increment(ref outcomes[(int)outcome]);
                }
            }));
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        foreach (Thread waker in wakers)
        {
            Assert.True(waker.Join(s_deadline), $"seed {seed}: a waker hung");
        }
        // The guest's last steps may leave it suspended: wake it until every vCPU thread is done.
        while (threads.Any(t => t.IsAlive))
        {
            Assert.True(clock.Elapsed < s_deadline, $"seed {seed}: hung in {machine.State}, violations: {string.Join("; ", host.Violations)}");
            if (machine.State == S2IdleState.Suspended)
            {
                Interlocked.Increment(ref outcomes[(int)machine.RequestWake("teardown")]);
            }
            Thread.Yield();
        }
        if (machine.State == S2IdleState.Suspended)
        {
            Interlocked.Increment(ref outcomes[(int)machine.RequestWake("teardown")]);
        }
        if (machine.State == S2IdleState.Resuming)
        {
            machine.GuestExited();
        }

        string context = $"seed {seed} ({vcpuCount} vCPUs, {wakerCount} wakers): {string.Join(' ', events.Select(e => $"{e.Cycle}:{e.Kind}"))}";
        Assert.True(host.Violations.Count == 0, $"{context}\n{string.Join('\n', host.Violations)}");
        Assert.True(machine.State == S2IdleState.Running, context);
        Assert.False(host.Parked, context);
        Assert.True(host.Parks == host.Unparks, context);
        Assert.Equal(0, machine.UnexpectedTraps);
        int exits = events.Count(e => e.Kind == S2IdleEventKind.Exit);
        Assert.True(host.Wakes == exits, context);
        int delivered = outcomes[(int)S2IdleWakeOutcome.Delivered];
        Assert.True(exits >= delivered && exits <= delivered + outcomes[(int)S2IdleWakeOutcome.Deferred], context);
        Assert.True(events.Count(e => e.Kind == S2IdleEventKind.Enter) == machine.Cycles, context);
        try
        {
            S2IdleEventGrammar.AssertWellFormed(events);
        }
        catch (Exception e)
        {
            throw new InvalidOperationException(context, e);
        }
        return (outcomes, events);
    }

    /// <summary>A vCPU running a random guest: entry and exit traps from any family, other
    /// notifications, and plain guest work. Whenever it runs, the machine must not say suspended.</summary>
    private static void GuestLoop(ParkingS2IdleHost host, S2IdleStateMachine machine, Random random)
    {
        try
        {
            for (int step = 0; step < 10; step++)
            {
                host.Gate();
                if (machine.State == S2IdleState.Suspended)
                {
                    host.Violation("a vCPU ran while the machine said suspended");
                }
                var family = (LowPowerIdleFamily)random.Next(1, 4);
                switch (random.Next(10))
                {
                    case < 4:
                        machine.OnGuestNotification(new LowPowerIdleEvent(family, LowPowerIdleFunction.Entry));
                        break;
                    case < 8:
                        machine.OnGuestNotification(new LowPowerIdleEvent(family, LowPowerIdleFunction.Exit));
                        break;
                    case 8:
                        machine.OnGuestNotification(new LowPowerIdleEvent(family, LowPowerIdleFunction.DisplayOff));
                        break;
                    default:
                        break;
                }
                Pause(random);
            }
        }
        catch (Exception e)
        {
            host.Violation($"vCPU thread failed: {e}");
        }
        finally
        {
            host.Leave();
        }
    }

    private static void Pause(Random random)
    {
        if (random.Next(4) == 0)
        {
            Thread.Yield();
        }
        else
        {
            Thread.SpinWait(random.Next(1, 200));
        }
    }

    private static Thread StartThread(Action body)
    {
        var thread = new Thread(() => body()) { IsBackground = true };
        thread.Start();
        return thread;
    }
}
