using Vireo.Lab;
using Xunit.Abstractions;

namespace Vireo.Lab.Tests;

/// <summary>Vireo booting the stock Debian kernel (L2) on L1's real kvm-amd. Every scenario is a
/// `vireo run` inside the one shared L1 boot.</summary>
[Collection(LabCollection.Name)]
public sealed class L2ScenarioTests(L1Fixture lab, ITestOutputHelper output)
{
    private static readonly TimeSpan s_l2Timeout = TimeSpan.FromMinutes(4);

    private async Task<LabCommandResult> VireoRun(string arguments, string? input = null)
    {
        Assert.True(lab.VireoPublishFailure is null, lab.VireoPublishFailure);
        string run = $"{L1Fixture.VireoInL1} run --kernel {L1Fixture.L2Kernel} --initramfs {L1Fixture.L2Initramfs} --memory 256M {arguments}";
        string command = input is null
            ? $"{run} </dev/null"
            : $"echo {Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(input))} | base64 -d | {run}";
        LabCommandResult result = await lab.Machine.RunAsync(command, s_l2Timeout);
        output.WriteLine($"$ vireo run {arguments}  -> status {result.ExitStatus} in {result.Elapsed.TotalSeconds:0.0} s\n{result.Output}");
        return result;
    }

    [LabFact("qemu-system-x86_64", "busybox", "cpio")]
    public async Task The_stock_kernel_boots_takes_console_input_and_reboot_ends_the_run()
    {
        // The guest shell computes the reply, so seeing it proves the typed line reached the
        // shell through the UART and the answer came back out.
        LabCommandResult result = await VireoRun("", "echo hello-$((6*7)); reboot -f\n");

        Assert.Contains($"{GuestMarkers.Ready} cpus=1", result.Output, StringComparison.Ordinal);
        Assert.Contains("hello-42", result.Output, StringComparison.Ordinal);
        Assert.Contains("vireo: guest requested reboot", result.Output, StringComparison.Ordinal);
        Assert.Equal(0, result.ExitStatus);
    }

    [LabFact("qemu-system-x86_64", "busybox", "cpio")]
    public async Task A_kernel_panic_ends_the_run_non_zero_with_the_panic_visible()
    {
        string script = DefaultGuest.ScriptArgument("echo c > /proc/sysrq-trigger");
        LabCommandResult result = await VireoRun($"--append {script}");

        Assert.Contains("Kernel panic - not syncing", result.Output, StringComparison.Ordinal);
        Assert.Contains("vireo: guest kernel panicked", result.Output, StringComparison.Ordinal);
        Assert.NotEqual(0, result.ExitStatus);
    }
}
