using Vireo.Devices;
using Vireo.Kvm;
using Vireo.Memory;
using Vireo.TestSupport;

namespace Vireo.Vmm.Tests;

/// <summary>Parking (guest suspend) on real vCPU threads: from outside, from inside an exit,
/// and against pause/resume, which must not release it.</summary>
[Collection(SerialCollection.Name)]
public sealed class VcpuParkTests
{
    private static readonly PioAddress s_trapPort = new(0x500);
    private static readonly PioAddress s_port0 = new(0x510);
    private static readonly PioAddress s_port1 = new(0x520);
    private static readonly GuestAddress s_vcpu1Code = new(0x11000);

    // mov dx, port; l: out dx, al; jmp l
    private static byte[] OutLoop(PioAddress port) => [0x66, 0xba, (byte)port.Value, (byte)(port.Value >> 8), 0xee, 0xeb, 0xfd];

    [KvmFact]
    public void Park_from_another_thread_holds_every_vcpu_until_unpark_even_across_pause_and_resume()
    {
        using KvmSystem kvm = KvmSystem.Open();
        using Machine machine = TestGuest.Create(kvm, cpus: 2);
        var counter0 = new CountingDevice();
        var counter1 = new CountingDevice();
        machine.Pio.Insert(s_port0, 1, counter0, "counter 0");
        machine.Pio.Insert(s_port1, 1, counter1, "counter 1");
        TestGuest.LoadLongMode(machine, OutLoop(s_port0), vcpu: 0);
        TestGuest.LoadLongMode(machine, OutLoop(s_port1), vcpu: 1, address: s_vcpu1Code);
        machine.Start();
        WaitUntil(() => counter0.Writes > 0 && counter1.Writes > 0);

        machine.Park();
        (long, long) parked = (counter0.Writes, counter1.Writes);
        machine.Pause();
        machine.Resume();
        Thread.Sleep(50);

        Assert.Equal(parked, (counter0.Writes, counter1.Writes));
        Assert.All(machine.Vcpus, r => Assert.True(r.IsParked));
        Assert.All(machine.Vcpus, r => Assert.Equal(VcpuRunState.Paused, r.State));

        machine.Unpark();
        WaitUntil(() => counter0.Writes > parked.Item1 && counter1.Writes > parked.Item2);
        machine.Stop();
    }

    [KvmFact]
    public void Park_from_inside_an_exit_stops_the_trapping_vcpu_before_it_reenters_the_guest()
    {
        using KvmSystem kvm = KvmSystem.Open();
        using Machine machine = TestGuest.Create(kvm, cpus: 2);
        var counter0 = new CountingDevice();
        var counter1 = new CountingDevice();
        var trap = new ParkingTrap(machine);
        machine.Pio.Insert(s_trapPort, 1, trap, "park trap");
        machine.Pio.Insert(s_port0, 1, counter0, "counter 0");
        machine.Pio.Insert(s_port1, 1, counter1, "counter 1");
        // vCPU 0 traps once, then counts; vCPU 1 counts from the start.
        byte[] trapThenLoop = [0x66, 0xba, (byte)s_trapPort.Value, (byte)(s_trapPort.Value >> 8), 0xee, .. OutLoop(s_port0)];
        TestGuest.LoadLongMode(machine, trapThenLoop, vcpu: 0);
        TestGuest.LoadLongMode(machine, OutLoop(s_port1), vcpu: 1, address: s_vcpu1Code);
        machine.Start();

        Assert.True(trap.Parked.Wait(TimeSpan.FromSeconds(10)), "the trap never ran");
        WaitUntil(() => machine.Vcpus.All(r => r.State == VcpuRunState.Paused));
        (long, long) parked = (counter0.Writes, counter1.Writes);
        Thread.Sleep(50);

        Assert.Equal(0, parked.Item1);
        Assert.Equal(parked, (counter0.Writes, counter1.Writes));
        Assert.Null(VcpuRunner.Current);

        machine.Unpark();
        WaitUntil(() => counter0.Writes > 0 && counter1.Writes > parked.Item2);
        machine.Stop();
    }

    [KvmFact]
    public void Stop_ends_parked_vcpus()
    {
        using KvmSystem kvm = KvmSystem.Open();
        using Machine machine = TestGuest.Create(kvm, cpus: 2);
        TestGuest.LoadLongMode(machine, [0xeb, 0xfe], vcpu: 0);
        TestGuest.LoadLongMode(machine, [0xeb, 0xfe], vcpu: 1, address: s_vcpu1Code);
        machine.Start();
        machine.Park();

        machine.Stop();

        Assert.All(machine.Vcpus, r => Assert.Equal(VcpuRunState.Stopped, r.State));
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

    /// <summary>Parks the whole machine from the vCPU thread that writes to it, as the LPS0
    /// entry trap does.</summary>
    private sealed class ParkingTrap(Machine machine) : IBusDevice
    {
        public ManualResetEventSlim Parked { get; } = new();

        public void Read(ulong offset, Span<byte> data) => data.Clear();

        public void Write(ulong offset, ReadOnlySpan<byte> data)
        {
            Assert.NotNull(VcpuRunner.Current);
            machine.Park();
            Parked.Set();
        }
    }
}
