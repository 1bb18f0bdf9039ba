using Vireo.Lab;
using Xunit.Abstractions;

namespace Vireo.Lab.Tests;

/// <summary>The boot benchmark in the shared L1 (which has QEMU for it): one round each, so
/// it proves both VMMs reach the marker. Speed targets live in the benchmark, not here.</summary>
[Collection(LabCollection.Name)]
public sealed class BootBenchmarkLabTests(L1Fixture lab, ITestOutputHelper output)
{
    [LabFact("qemu-system-x86_64", "busybox", "cpio")]
    public async Task Vireo_and_qemu_both_boot_the_guest_to_the_marker()
    {
        Assert.True(lab.VireoPublishFailure is null, lab.VireoPublishFailure);
        var progress = new StringWriter();
        var options = new BootBenchmarkOptions
        {
            Rounds = 1,
            // About 10 s each on an idle development machine; a loaded CI runner is slower.
            RunTimeout = TimeSpan.FromMinutes(2),
            VireoInL1 = L1Fixture.VireoInL1,
            KernelInL1 = L1Fixture.L2Kernel,
            InitramfsInL1 = L1Fixture.L2Initramfs,
        };

        BootBenchmarkResult result = await BootBenchmark.RunAsync(lab.Machine, options, progress);
        output.WriteLine(progress.ToString());
        output.WriteLine(result.ToTable());

        Assert.Single(result.Vireo);
        Assert.Single(result.Qemu);
        foreach (BootBenchmarkSample sample in result.Vireo.Concat(result.Qemu))
        {
            Assert.True(sample.GuestUptimeAtMarkerSeconds > 0, $"{sample}");
            Assert.True(sample.ToMarkerSeconds > sample.GuestUptimeAtMarkerSeconds, $"{sample}");
            Assert.True(sample.ToExitSeconds >= sample.ToMarkerSeconds, $"{sample}");
        }
        Assert.True(result.Ratio > 0);
    }
}
