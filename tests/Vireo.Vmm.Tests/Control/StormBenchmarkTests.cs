using Vireo.SampleDevice;
using Vireo.TestSupport;
using Vireo.VfioUser;
using Xunit.Abstractions;

namespace Vireo.Vmm.Tests.Control;

/// <summary>`vireo bench storm` with short scenarios: each storm really ran (the guest's loop turned,
/// the device's codes went out and waited at the device once the unread mailbox was full), every
/// probe was answered, and
/// the VMM's own threads stayed near idle while the vCPU stormed.</summary>
[Collection(SerialCollection.Name)]
public sealed class StormBenchmarkTests(ITestOutputHelper output)
{
    [KvmFact]
    public void Each_storm_runs_and_the_control_loop_answers_throughout()
    {
        using var device = new AcceleratorDevice();
        using var server = new InProcessVfioUserServer(device);
        using VfioPciFunction fn = VfioPciFunction.Open(VfioUserClient.Open(server.ClientEnd), "sample");
        using var kvm = Vireo.Kvm.KvmSystem.Open();

        StormBarWrite[] raiseIntx =
        [
            new(0, AcceleratorDevice.RegLength, 0),
            new(0, AcceleratorDevice.RegCommand, AcceleratorDevice.CommandStart | AcceleratorDevice.DirectionMemoryToMemory),
        ];
        StormBenchmarkResult result = StormBenchmark.Run(kvm, TimeSpan.FromMilliseconds(600), openProbe: null,
            new StormDevice(fn, code => device.NotifyAcpi([code]), raiseIntx), ["vfio-user serv", "accelerator"]);
        bool delivers = kvm.Backend != Vireo.Kvm.KvmBackend.Pvm;

        foreach (StormScenarioResult s in result.Scenarios)
        {
            output.WriteLine($"{s.Name}: {s.GuestLoopsPerSecond:F0} loops/s, vCPU {s.VcpuCores:F2}, VMM {s.VmmCores:F2}, source {s.SourceCores:F2} cores; probe median {s.Probe?.Median:F0} µs, failures {s.ProbeFailures}; codes/s {s.NotifyCodesPerSecond:F0}, dropped {s.DroppedNotifies}");
        }
        Assert.Equal(delivers ? ["quiet", "port", "unhandled", "sci", "notify", "intx", "intx-held"] : ["quiet", "port", "unhandled", "sci", "notify"],
            result.Scenarios.Select(s => s.Name));
        Assert.Equal(delivers ? [] : ["intx", "intx-held"], result.Skipped.Select(s => s.Name));
        Assert.All(result.Scenarios, s =>
        {
            Assert.Equal(0, s.ProbeFailures);
            Assert.NotNull(s.Probe);
            Assert.True(s.Probe.Count >= 5, $"{s.Name}: only {s.Probe.Count} probes in {s.Seconds:F2} s");
            Assert.Equal("control loop vm.info", s.ProbeName);
        });
        // The halting guests do not loop; the storming ones do, many times.
        Assert.Equal(0, result.Quiet.GuestLoopsPerSecond);
        Assert.Equal(0, result.Scenarios.Single(s => s.Name == "notify").GuestLoopsPerSecond);
        foreach (string storm in new[] { "port", "unhandled", "sci" })
        {
            Assert.True(result.Scenarios.Single(s => s.Name == storm).GuestLoopsPerSecond > 1000, $"{storm} barely looped");
        }
        // The device's codes went out; the VMM took 64 into the mailbox nobody reads and then left
        // the channel unread, so the codes waited (and were dropped) at the device, not here.
        StormScenarioResult notify = result.Scenarios.Single(s => s.Name == "notify");
        Assert.True(notify.NotifyCodesPerSecond > 100, $"the device sent {notify.NotifyCodesPerSecond} codes/s");
        Assert.Equal(0, notify.DroppedNotifies);
        Assert.True(device.AcpiNotifications > 64, $"the device counted {device.AcpiNotifications} codes");
        Assert.True(result.LatencyRatio(notify) is > 0);
        if (delivers)
        {
            // The device held INTx high and the guest's handler ran again after each EOI.
            StormScenarioResult intx = result.Scenarios.Single(s => s.Name == "intx");
            Assert.True(intx.GuestLoopsPerSecond > 100, $"the guest took {intx.GuestLoopsPerSecond} interrupts/s");
            // Held high with no EOI: masked at the device after its one delivery, nothing runs.
            StormScenarioResult held = result.Scenarios.Single(s => s.Name == "intx-held");
            Assert.Equal(0, held.GuestLoopsPerSecond);
            Assert.True(held.SourceCores < 0.05, $"the device's server used {held.SourceCores} cores with its line held");
        }
    }

    [Fact]
    public void A_thread_stat_line_gives_user_plus_system_seconds_whatever_the_name_holds()
    {
        // comm may hold spaces and parentheses: the fields start after the last ')'.
        string stat = "4242 (a (b) c) S 1 2 3 4 5 6 7 8 9 10 150 25 0 0 20 0 1 0 100";
        Assert.Equal(1.75, ThreadCpu.ThreadSeconds(stat), 6);
        Assert.Throws<FormatException>(() => ThreadCpu.ThreadSeconds("no name here"));
    }

    [Fact]
    public void Threads_are_sorted_into_vcpus_sources_and_the_rest()
    {
        // A thread named like a storm source burns CPU until 100 ms of it show under Source (a
        // loaded host gives it less of the wall clock, so the test waits for the CPU, not the time).
        using var stop = new ManualResetEventSlim();
        var burner = new Thread(() =>
        {
            while (!stop.IsSet)
            {
                Thread.SpinWait(1000);
            }
        }) { Name = "test-source burn", IsBackground = true };
        ThreadCpu before = ThreadCpu.Sample(["test-source"]);
        burner.Start();
        ThreadCpu after = before;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (after.Source - before.Source < 0.1 && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(20);
            after = ThreadCpu.Sample(["test-source"]);
        }
        ThreadCpu asVmm = ThreadCpu.Sample([]);
        stop.Set();
        burner.Join();
        Assert.True(after.Source - before.Source >= 0.1, $"the burning thread showed {after.Source - before.Source:F2} s under Source in 30 s");
        Assert.Equal(0, after.Vcpu - before.Vcpu);
        // Without the prefix the same thread is the VMM's: its time moved, nothing was lost.
        Assert.Equal(0, asVmm.Source);
        Assert.True(asVmm.Vmm >= after.Vmm + (after.Source - before.Source) - 0.05, $"VMM {asVmm.Vmm:F2} s against {after.Vmm:F2} + {after.Source - before.Source:F2} s");
    }
}
