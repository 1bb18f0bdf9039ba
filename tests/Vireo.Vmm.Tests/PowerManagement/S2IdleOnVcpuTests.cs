using Vireo.Devices;
using Vireo.Kvm;
using Vireo.Memory;
using Vireo.TestSupport;

namespace Vireo.Vmm.Tests.PowerManagement;

/// <summary>The state machine driven by real vCPUs: the LPS0 device on the port bus, the
/// machine's park and unpark as the host, guest OUTs as the _DSM traps.</summary>
[Collection(SerialCollection.Name)]
public sealed class S2IdleOnVcpuTests
{
    private static readonly PioAddress s_lpsPort = new(0x630);
    private static readonly PioAddress s_port0 = new(0x510);
    private static readonly PioAddress s_port1 = new(0x520);

    [KvmFact]
    public void A_wake_requested_while_entering_is_delivered_once_parked_and_the_guest_runs_on()
    {
        using KvmSystem kvm = KvmSystem.Open();
        using Machine machine = TestGuest.Create(kvm, cpus: 2);
        var host = new MachineHost(machine);
        (S2IdleStateMachine s2idle, List<S2IdleEvent> events, CountingDevice counter0, CountingDevice counter1) = Build(machine, host);
        // The request lands in the window between the entry trap and the completed park.
        host.BeforePark = () => Assert.Equal(S2IdleWakeOutcome.Deferred, s2idle.RequestWake("test"));
        machine.Start();

        WaitUntil(() => s2idle.State == S2IdleState.Running && s2idle.Cycles == 1 && counter0.Writes > 0 && counter1.Writes > 0);
        machine.Stop();

        Assert.Equal(1, host.Wakes);
        lock (events)
        {
            Assert.Equal([S2IdleEventKind.Enter, S2IdleEventKind.Exit, S2IdleEventKind.Resumed], events.Select(e => e.Kind));
        }
    }

    [KvmFact]
    public void Entry_parks_both_vcpus_a_wake_unparks_them_and_the_exit_trap_completes_the_cycle()
    {
        using KvmSystem kvm = KvmSystem.Open();
        using Machine machine = TestGuest.Create(kvm, cpus: 2);
        var host = new MachineHost(machine);
        (S2IdleStateMachine s2idle, List<S2IdleEvent> events, CountingDevice counter0, CountingDevice counter1) = Build(machine, host);
        machine.Start();

        WaitUntil(() => s2idle.State == S2IdleState.Suspended);
        (long, long) parked = (counter0.Writes, counter1.Writes);
        Thread.Sleep(50);
        Assert.Equal(S2IdleStateMachine.SuspendedPowerState, s2idle.PowerState);
        Assert.Equal(0, parked.Item1);
        Assert.Equal(parked, (counter0.Writes, counter1.Writes));
        Assert.Equal(0, host.Wakes);

        Assert.Equal(S2IdleWakeOutcome.Delivered, s2idle.RequestWake("test"));
        WaitUntil(() => s2idle.State == S2IdleState.Running && counter0.Writes > 0 && counter1.Writes > parked.Item2);
        machine.Stop();

        Assert.Equal(1, host.Wakes);
        lock (events)
        {
            Assert.Equal([S2IdleEventKind.Enter, S2IdleEventKind.Suspended, S2IdleEventKind.Exit, S2IdleEventKind.Resumed], events.Select(e => e.Kind));
            Assert.Equal("test", events[2].Source);
        }
        Assert.Equal(0, s2idle.UnexpectedTraps);
    }

    /// <summary>vCPU 0 makes the LPS0 entry trap, then the exit trap, then counts on port 0x510;
    /// vCPU 1 counts on port 0x520 from the start.</summary>
    private static (S2IdleStateMachine, List<S2IdleEvent>, CountingDevice, CountingDevice) Build(Machine machine, MachineHost host)
    {
        var counter0 = new CountingDevice();
        var counter1 = new CountingDevice();
        var lps = new LowPowerIdleDevice(s_lpsPort);
        var events = new List<S2IdleEvent>();
        var s2idle = new S2IdleStateMachine(host, e =>
        {
            lock (events)
            {
                events.Add(e);
            }
        });
        lps.Notified += s2idle.OnGuestNotification;
        machine.Pio.Insert(s_lpsPort, LowPowerIdleDevice.WindowLength, lps, "lps0");
        machine.Pio.Insert(s_port0, 1, counter0, "counter 0");
        machine.Pio.Insert(s_port1, 1, counter1, "counter 1");
        byte entry = new LowPowerIdleEvent(LowPowerIdleFamily.Amd, LowPowerIdleFunction.Entry).Code;
        byte exit = new LowPowerIdleEvent(LowPowerIdleFamily.Amd, LowPowerIdleFunction.Exit).Code;
        TestGuest.LoadLongMode(machine,
        [
            0x66, 0xba, 0x30, 0x06, // mov dx, 0x630
            0xb0, entry,            // mov al, entry
            0xee,                   // out dx, al (parks here)
            0xb0, exit,             // mov al, exit
            0xee,                   // out dx, al
            0x66, 0xba, 0x10, 0x05, // mov dx, 0x510
            0xee,                   // l: out dx, al
            0xeb, 0xfd,             // jmp l
        ], vcpu: 0);
        TestGuest.LoadLongMode(machine, [0x66, 0xba, 0x20, 0x05, 0xee, 0xeb, 0xfd], vcpu: 1, address: new GuestAddress(0x11000));
        return (s2idle, events, counter0, counter1);
    }

    private static void WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            Thread.Sleep(1);
        }
    }

    private sealed class MachineHost(Machine machine) : IS2IdleHost
    {
        private int _wakes;

        public int Wakes => Volatile.Read(ref _wakes);

        public Action? BeforePark { get; set; }

        public void ParkVcpus()
        {
            BeforePark?.Invoke();
            machine.Park();
        }

        public void UnparkVcpus() => machine.Unpark();

        public void InjectWake() => Interlocked.Increment(ref _wakes);
    }
}
