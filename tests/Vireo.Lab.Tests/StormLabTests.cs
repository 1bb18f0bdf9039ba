using System.Text.Json;
using System.Text.RegularExpressions;
using Vireo.Lab;
using Xunit.Abstractions;

namespace Vireo.Lab.Tests;

/// <summary>
/// Issue #17's storm figure on a real hardware-virtualizing KVM (L1's kvm-amd): `vireo bench
/// storm` in L1, where a guest storming a port, an unhandled port and its SCI, a device
/// storming its notify channel, and a device holding INTx high under a guest that EOIs without
/// acknowledging it, each for two seconds, must leave the API answering every probe,
/// not much later than at rest, and the VMM's own threads (everything but the storming vCPU and
/// the device's server) about as busy as at rest.
/// </summary>
[Collection(LabCollection.Name)]
public sealed class StormLabTests(L1Fixture lab, ITestOutputHelper output)
{
    [LabFact("qemu-system-x86_64", "busybox", "cpio")]
    public async Task Storms_keep_the_api_answering_and_the_rest_of_the_vmm_near_idle_on_kvm_amd()
    {
        Assert.True(lab.VireoPublishFailure is null, lab.VireoPublishFailure);

        LabCommandResult result = await lab.Machine.RunAsync($"{L1Fixture.VireoInL1} bench storm --seconds 2 --json", TimeSpan.FromMinutes(3));
        output.WriteLine(result.Output);
        Assert.Equal(0, result.ExitStatus);
        Match json = Regex.Match(result.Output, @"\{""backend"".*\}");
        Assert.True(json.Success, "no JSON line in the output");
        using var doc = JsonDocument.Parse(json.Value);
        JsonElement root = doc.RootElement;
        Assert.Equal("amd", root.GetProperty("backend").GetString());
        Assert.Equal("API GET vm.info", root.GetProperty("probe").GetString());
        var scenarios = root.GetProperty("scenarios").EnumerateArray().ToDictionary(s => s.GetProperty("name").GetString()!);
        Assert.Equal(["quiet", "port", "unhandled", "sci", "notify", "intx", "intx-held"], scenarios.Keys);
        Assert.Equal(0, root.GetProperty("skipped").GetArrayLength());
        double quietVmm = scenarios["quiet"].GetProperty("vmmCores").GetDouble();
        foreach ((string name, JsonElement s) in scenarios)
        {
            // Every probe through the API socket was answered, about one per 20 ms plus its own time.
            Assert.Equal(0, s.GetProperty("probeFailures").GetInt32());
            Assert.True(s.GetProperty("probes").GetInt32() >= 20, $"{name}: {s.GetProperty("probes")} probes in 2 s");
            // A storm costs its vCPU, not the VMM: the VMM's other threads (the probing client and
            // the API server included, which alone keep L1's one emulated CPU about half busy)
            // use at most a quarter of a core more than at rest, and the API's median answer
            // comes at most three times later (one CPU, shared with the storming vCPU).
            // The notify storm's device server runs in the same process, and its retry timer
            // (the channel is held while the mailbox is full) runs on the runtime's shared
            // thread-pool and timer threads, which count as the VMM's: it gets 0.4 (measured
            // +0.17 and +0.30 in two runs; +0.45 when the VMM read and dropped every code).
            double bound = name == "notify" ? 0.4 : 0.25;
            Assert.True(s.GetProperty("vmmCores").GetDouble() <= quietVmm + bound,
                $"{name}: the rest of the VMM used {s.GetProperty("vmmCores")} cores, {quietVmm} at rest");
            Assert.True(s.GetProperty("latencyRatio").GetDouble() <= 3, $"{name}: the API answered {s.GetProperty("latencyRatio")} times slower than at rest");
        }
        foreach (string storm in new[] { "port", "unhandled", "sci" })
        {
            Assert.True(scenarios[storm].GetProperty("guestLoopsPerSecond").GetDouble() > 100, $"{storm} barely looped");
        }
        // INTx held high: the guest's handler ran again after every EOI, the device re-raising the
        // line on KVM's resample eventfd with no VMM thread on the path (the bound above holds
        // for it with the same allowance as the guest's own storms).
        JsonElement intx = scenarios["intx"];
        Assert.True(intx.GetProperty("guestLoopsPerSecond").GetDouble() > 100, $"the guest took {intx.GetProperty("guestLoopsPerSecond")} interrupts/s");
        // The same line held high under a guest with interrupts off: delivered once, never EOIed,
        // so the device stays masked and its server (like the vCPU) sleeps.
        JsonElement held = scenarios["intx-held"];
        Assert.Equal(0, held.GetProperty("guestLoopsPerSecond").GetDouble());
        Assert.True(held.GetProperty("sourceCores").GetDouble() < 0.05, $"intx-held: the device's server used {held.GetProperty("sourceCores")} cores");
        Assert.True(held.GetProperty("vcpuCores").GetDouble() < 0.05, $"intx-held: the vCPUs used {held.GetProperty("vcpuCores")} cores");
        Assert.True(scenarios["notify"].GetProperty("notifyCodesPerSecond").GetDouble() > 100);
        // Once the unread mailbox is full the VMM leaves the device's channel unread: nothing is
        // read only to be dropped (each drop was an event), the codes wait at the device.
        Assert.Equal(0, scenarios["notify"].GetProperty("droppedNotifies").GetInt64());
    }
}
