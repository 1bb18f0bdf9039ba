using System.Globalization;
using System.Text.RegularExpressions;
using Vireo.Lab;
using Xunit.Abstractions;

namespace Vireo.Lab.Tests;

/// <summary>The unit tests marked KvmFact/KvmTheory, run on L1's kvm-amd (<see cref="UnitTestsInL1"/>):
/// on a host whose KVM has no device node they skip, so here is where CI runs them. Each
/// assembly's KVM tests run under xunit's console runner; every one must run and pass, and
/// none may skip for want of /dev/kvm.</summary>
[Collection(LabCollection.Name)]
public sealed partial class KvmUnitTestsInL1Tests(L1Fixture lab, ITestOutputHelper output)
{
    // The runner's summary: "   Vireo.Kvm.Tests  Total: 45, Errors: 0, Failed: 0, Skipped: 0, Time: 12.3s".
    [GeneratedRegex(@"Total: (\d+), Errors: (\d+), Failed: (\d+), Skipped: (\d+)")]
    private static partial Regex Summary();

    [LabTheory("qemu-system-x86_64", "busybox", "cpio", "mkfs.ext4")]
    [InlineData("Vireo.Kvm.Tests")]
    [InlineData("Vireo.Vmm.Tests")]
    [InlineData("Vireo.Api.Tests")]
    [InlineData("Vireo.Cli.Tests")]
    public async Task The_kvm_unit_tests_pass_on_l1s_kvm_amd(string assembly)
    {
        Assert.True(lab.UnitTests is not null, $"the unit tests are not in L1: {lab.UnitTestsFailure}\n{lab.Log}");
        IReadOnlyList<string> tests = lab.UnitTests.KvmTests[assembly];
        Assert.NotEmpty(tests);
        LabCommandResult mounted = await lab.Machine.RunAsync($"ls {UnitTestsInL1.MountPoint}/tests/{assembly}/{assembly}.dll");
        Assert.True(mounted.Succeeded, $"the unit tests' disk is not mounted in L1:\n{mounted.Output}");

        LabCommandResult result = await lab.Machine.RunAsync(lab.UnitTests.RunCommand(assembly), TimeSpan.FromMinutes(9));
        output.WriteLine($"{assembly}: {tests.Count} KVM test methods, status {result.ExitStatus} in {result.Elapsed.TotalSeconds:0.0} s\n{result.Output}");
        Match summary = Summary().Match(result.Output);
        Assert.True(summary.Success, $"no runner summary (status {result.ExitStatus}):\n{result.Output}");
        int total = int.Parse(summary.Groups[1].Value, CultureInfo.InvariantCulture);
        int failed = int.Parse(summary.Groups[2].Value, CultureInfo.InvariantCulture) + int.Parse(summary.Groups[3].Value, CultureInfo.InvariantCulture);
        Assert.True(failed == 0 && result.ExitStatus == 0, $"{failed} of {total} failed (status {result.ExitStatus}):\n{result.Output}");
        // Every KVM skip ends with this, whatever WhyNoKvm said: L1 has a usable /dev/kvm, so none may skip.
        Assert.DoesNotContain(Vireo.TestSupport.HostCapabilities.KvmTestsInTheLab, result.Output, StringComparison.Ordinal);
        // A theory's rows count one each, so at least one per method.
        Assert.True(total >= tests.Count, $"{total} tests ran for {tests.Count} methods:\n{result.Output}");
    }
}
