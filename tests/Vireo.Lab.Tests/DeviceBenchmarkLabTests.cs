using Vireo.Lab;
using Xunit.Abstractions;

namespace Vireo.Lab.Tests;

/// <summary>The device benchmark in the shared L1 (which has QEMU and the tool for it): one
/// short round each, so it proves both VMMs run every phase and L1 reads their CPU time.
/// Speed targets live in the benchmark (`vireo-lab bench devices`), not here.</summary>
[Collection(LabCollection.Name)]
public sealed class DeviceBenchmarkLabTests(L1Fixture lab, ITestOutputHelper output)
{
    [LabFact("qemu-system-x86_64", "busybox", "cpio", "gcc")]
    public async Task Vireo_and_qemu_both_run_the_disk_and_network_phases_with_their_cpu_time()
    {
        Assert.True(lab.VireoPublishFailure is null, lab.VireoPublishFailure);
        Assert.True(lab.DeviceBenchmarkFailure is null, lab.DeviceBenchmarkFailure);
        var progress = new StringWriter();
        var options = new DeviceBenchmarkOptions
        {
            Rounds = 1,
            PhaseSeconds = 2,
            RunTimeout = TimeSpan.FromMinutes(3),
            VireoInL1 = L1Fixture.VireoInL1,
            KernelInL1 = L1Fixture.L2Kernel,
        };

        DeviceBenchmarkResult result = await DeviceBenchmark.RunAsync(lab.Machine, options, progress);
        output.WriteLine(progress.ToString());
        output.WriteLine(result.ToTable());

        foreach (DeviceBenchmarkSample sample in result.Vireo.Concat(result.Qemu))
        {
            Assert.Equal(DeviceBenchmark.Phases, sample.Phases.Select(p => p.Name));
            foreach (DeviceBenchmarkPhase phase in sample.Phases)
            {
                // Each phase ran for its time and moved data; the VMM worked for it.
                Assert.True(phase.Requests > 0 && phase.Bytes > 0, $"{sample.Vmm} {phase}");
                Assert.InRange(phase.Seconds, options.PhaseSeconds, options.PhaseSeconds * 10);
                Assert.True(phase.VmmCpuTicks > 0, $"{sample.Vmm} {phase}: no VMM CPU time read");
            }
            Assert.Equal(4096, sample.Phase("blk-randread").Bytes / sample.Phase("blk-randread").Requests);
            Assert.Equal(1 << 20, sample.Phase("blk-seqread").Bytes / sample.Phase("blk-seqread").Requests);
        }
        // L1's sink received what each guest sent.
        LabCommandResult sink = await lab.Machine.RunAsync("cat /tmp/devbench-sink.out", TimeSpan.FromMinutes(1));
        Assert.Contains($"@@DEVBENCH sink bytes={result.Qemu[0].Phase("tcp-send").Bytes}", sink.Output, StringComparison.Ordinal);
        Assert.All(DeviceBenchmark.Phases, p => Assert.True(result.ThroughputRatio(p) > 0));
    }
}
