using System.Diagnostics;
using System.Globalization;
using Vireo.Devices;
using Vireo.Kvm;
using Vireo.Memory;
using Vireo.TestSupport;
using Vireo.Vmm.X86;
using Xunit.Abstractions;

namespace Vireo.Vmm.Tests.Control;

/// <summary>
/// A guest that storms: one vCPU writes a device's port in a tight loop, the other an unhandled
/// port. The storm must cost the host only those two vCPU threads: the control loop stays
/// responsive (every request answered, pause and resume take effect) and idle, and the unhandled
/// port is reported once, not once per write.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class GuestStormTests(ITestOutputHelper output)
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(15);
    private static readonly PioAddress s_handled = new(0x510);
    private const ushort UnhandledPort = 0x5f0;
    private static readonly GuestAddress s_code0 = new(0x10000);
    private static readonly GuestAddress s_code1 = new(0x11000);

    [KvmFact]
    public async Task A_guest_storming_ports_leaves_the_control_loop_responsive_and_idle()
    {
        using KvmSystem kvm = KvmSystem.Open();
        var counter = new CountingDevice();
        var warnings = new List<string>();
        BuiltMachine Build()
        {
            BuiltMachine built = MachineBuilder.BuildBare(kvm, new MachineConfig { MemoryBytes = 2UL << 20, Cpus = 2, InKernelIrqchip = false }, Warn);
            built.Machine.Pio.Insert(s_handled, 1, counter, "counter");
            LongModeSetup.WriteTables(built.Machine.Memory);
            built.Machine.Memory.Write(s_code0, StormLoop((ushort)s_handled.Value));
            built.Machine.Memory.Write(s_code1, StormLoop(UnhandledPort));
            LongModeSetup.StartAt(built.Machine.Vcpus[0].Vcpu, s_code0, stack: 0x8000);
            LongModeSetup.StartAt(built.Machine.Vcpus[1].Vcpu, s_code1, stack: 0x9000);
            return built;
        }
        void Warn(string line)
        {
            lock (warnings)
            {
                warnings.Add(line);
            }
        }
        using var loop = new ControlLoop(Build, new VmDescription(2, 2UL << 20, null, null));
        loop.Start();
        WaitUntil(() => counter.Writes > 1000);

        // Requests during the storm: every one answered, the guest still storming after them.
        long controlTicksBefore = ThreadTicks(ControlLoop.ThreadName);
        var window = Stopwatch.StartNew();
        var latencies = new List<double>();
        while (window.Elapsed < TimeSpan.FromSeconds(2))
        {
            long t0 = Stopwatch.GetTimestamp();
            VmInfo info = await loop.SendAsync(new GetVmInfo()).WaitAsync(s_timeout);
            latencies.Add(Stopwatch.GetElapsedTime(t0).TotalMicroseconds);
            Assert.Equal(VmState.Running, info.State);
            await Task.Delay(20);
        }
        long controlTicks = ThreadTicks(ControlLoop.ThreadName) - controlTicksBefore;
        double elapsedMs = window.Elapsed.TotalMilliseconds;
        long writesAfterRequests = counter.Writes;
        WaitUntil(() => counter.Writes > writesAfterRequests + 1000);

        // Pause stops the storm and resume lets it go on: the owner is in control throughout.
        await loop.SendAsync(new PauseVm()).WaitAsync(s_timeout);
        long paused = counter.Writes;
        Thread.Sleep(100);
        Assert.Equal(paused, counter.Writes);
        await loop.SendAsync(new ResumeVm()).WaitAsync(s_timeout);
        WaitUntil(() => counter.Writes > paused + 1000);

        await loop.SendAsync(new ShutdownVm(force: true)).WaitAsync(s_timeout);
        VmmResult result = await loop.Completion.WaitAsync(s_timeout);
        Assert.Equal(MachineExitReason.Stopped, result.Exit.Reason);

        latencies.Sort();
        long ticksPerSecond = 100; // USER_HZ on Linux
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"storm: {counter.Writes} handled writes; {latencies.Count} vm.info requests answered in {latencies[latencies.Count / 2]:F0} µs median, {latencies[^1]:F0} µs max; control thread CPU {controlTicks * 1000 / ticksPerSecond} ms in {elapsedMs:F0} ms"));
        // The control thread is not woken per guest exit: its CPU over two seconds of storm is the
        // requests' own (a tick is 10 ms, so this is "a few ticks at most").
        Assert.True(controlTicks * 1000 / ticksPerSecond <= elapsedMs / 10, $"the control thread used {controlTicks} ticks in {elapsedMs:F0} ms of storm");
        string[] unhandled;
        lock (warnings)
        {
            unhandled = [.. warnings.Where(w => w.Contains($"0x{UnhandledPort:x}", StringComparison.Ordinal))];
        }
        Assert.Single(unhandled);
    }

    // mov dx, port; l: out dx, al; jmp l
    private static byte[] StormLoop(ushort port) => [0x66, 0xba, (byte)port, (byte)(port >> 8), 0xee, 0xeb, 0xfd];

    private static void WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + s_timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            Thread.Sleep(1);
        }
    }

    /// <summary>User plus system clock ticks (USER_HZ 100) of this process's threads named <paramref name="name"/>.</summary>
    private static long ThreadTicks(string name)
    {
        double seconds = 0;
        foreach (string task in Directory.GetDirectories("/proc/self/task"))
        {
            try
            {
                if (File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n') == name)
                {
                    seconds += ThreadCpu.ThreadSeconds(File.ReadAllText(Path.Combine(task, "stat")));
                }
            }
            catch (IOException)
            {
                // The thread ended meanwhile.
            }
        }
        return (long)Math.Round(seconds * 100);
    }
}
