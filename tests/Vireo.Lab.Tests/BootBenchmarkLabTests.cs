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

        // The same kernel under both VMMs on the same L1 KVM. The guest's "XSAVE consistency
        // problem" WARNING (CPUID 0xD.0 EBX still sized for x87+SSE after it enabled AVX in XCR0)
        // shows under QEMU -cpu host as well: the lab's, not Vireo's. Vireo must not add one.
        LabCommandResult fpu = await lab.Machine.RunAsync(
            "for v in vireo qemu; do echo \"$v: $(grep -c 'XSAVE consistency problem' /tmp/vireo-bench-$v-1.log)\"; done", TimeSpan.FromMinutes(1));
        output.WriteLine(fpu.Output);
        Assert.Matches(@"vireo: \d+\nqemu: \d+", fpu.Output);
        bool vireoWarns = !fpu.Output.Contains("vireo: 0", StringComparison.Ordinal);
        bool qemuWarns = !fpu.Output.Contains("qemu: 0", StringComparison.Ordinal);
        Assert.False(vireoWarns && !qemuWarns, $"the guest warns about XSAVE under Vireo but not under QEMU:\n{fpu.Output}");
    }
}
