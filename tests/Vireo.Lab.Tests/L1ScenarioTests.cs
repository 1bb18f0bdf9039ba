using System.Text.Json;
using Vireo.Lab;
using Xunit.Abstractions;

namespace Vireo.Lab.Tests;

/// <summary>Scenarios that share one L1 boot (QEMU TCG, AMD SVM + NPT, stock Debian kernel
/// with kvm-amd), each a payload command with its own markers and exit status.</summary>
[Collection(LabCollection.Name)]
public sealed class L1ScenarioTests(L1Fixture lab, ITestOutputHelper output)
{
    private async Task<LabCommandResult> Run(string command)
    {
        LabCommandResult result = await lab.Machine.RunAsync(command);
        output.WriteLine($"$ {command}  -> status {result.ExitStatus} in {result.Elapsed.TotalSeconds:0.00} s\n{result.Output}");
        return result;
    }

    [LabFact("qemu-system-x86_64", "busybox", "cpio")]
    public async Task L1_cpu_has_svm()
    {
        LabCommandResult result = await Run("grep -c svm /proc/cpuinfo");
        Assert.Equal(0, result.ExitStatus);
        Assert.True(int.Parse(result.Output.Trim(), System.Globalization.CultureInfo.InvariantCulture) >= 1, result.Output);
    }

    [LabFact("qemu-system-x86_64", "busybox", "cpio")]
    public async Task L1_has_a_kvm_device()
    {
        LabCommandResult result = await Run("ls -l /dev/kvm");
        Assert.Equal(0, result.ExitStatus);
        Assert.StartsWith("c", result.Output, StringComparison.Ordinal);
    }

    [LabFact("qemu-system-x86_64", "busybox", "cpio")]
    public async Task Kvm_amd_is_loaded_with_nested_paging()
    {
        Assert.Empty(lab.Machine.FailedModules);
        LabCommandResult result = await Run("ls -d /sys/module/kvm_amd && dmesg | grep -i 'nested paging'");
        Assert.Equal(0, result.ExitStatus);
        Assert.Contains("nested paging enabled", result.Output, StringComparison.OrdinalIgnoreCase);
    }

    [LabFact("qemu-system-x86_64", "busybox", "cpio")]
    public async Task Kernel_messages_go_to_the_kernel_log_file_and_never_into_the_command_protocol()
    {
        LabCommandResult result = await Run("echo '<3>vireo-lab: kmsg probe' > /dev/kmsg; echo written");
        Assert.Equal(0, result.ExitStatus);
        Assert.Equal("written\n", result.Output);
        // QEMU writes ttyS1 to the file as L1 sends it; give the UART a moment.
        string? tail = null;
        for (int i = 0; i < 50 && !(tail ?? "").Contains("vireo-lab: kmsg probe", StringComparison.Ordinal); i++)
        {
            await Task.Delay(100);
            tail = lab.Machine.KernelLogTail();
        }
        Assert.NotNull(tail);
        Assert.Contains("vireo-lab: kmsg probe", tail, StringComparison.Ordinal);
        Assert.DoesNotContain(lab.Machine.ConsoleLines(), l => l.Contains("kmsg probe", StringComparison.Ordinal));
    }

    [LabFact("qemu-system-x86_64", "busybox", "cpio")]
    public async Task Exit_status_and_output_are_framed_per_command()
    {
        LabCommandResult failing = await Run("echo \"it's \\\"quoted\\\" in $HOME\"; printf 'no newline at end'; exit 7");
        Assert.Equal(7, failing.ExitStatus);
        Assert.Equal("it's \"quoted\" in /root\nno newline at end", failing.Output);

        LabCommandResult silent = await Run("true");
        Assert.Equal(0, silent.ExitStatus);
        Assert.Equal("", silent.Output);

        // Longer than one chunk on the serial line, and stderr folded into the output.
        string word = new('x', 3000);
        LabCommandResult longer = await Run($"echo {word} | wc -c; echo to-stderr >&2");
        Assert.Equal(0, longer.ExitStatus);
        Assert.Equal(["3001", "to-stderr"], longer.OutputLines.Select(l => l.Trim()));
    }

    [LabFact("qemu-system-x86_64", "busybox", "cpio")]
    public async Task Lines_that_already_end_in_crlf_arrive_once_without_an_empty_line_after_each()
    {
        // What vireo relays from a guest tty: "\r\n" line ends. L1's tty must not turn them into
        // "\r\r\n", which reads as two lines.
        LabCommandResult result = await Run("printf 'one\\r\\ntwo\\r\\n'");

        Assert.Equal(0, result.ExitStatus);
        Assert.Equal("one\ntwo\n", result.Output);
    }

    [LabFact("qemu-system-x86_64", "busybox", "cpio")]
    public async Task Vireo_kvm_info_in_L1_reports_the_amd_backend()
    {
        Assert.True(lab.VireoPublishFailure is null, lab.VireoPublishFailure);
        LabCommandResult result = await Run($"{L1Fixture.VireoInL1} kvm-info --json");
        Assert.Equal(0, result.ExitStatus);
        using JsonDocument info = JsonDocument.Parse(result.Output);
        Assert.Equal("amd", info.RootElement.GetProperty("backend").GetString());
    }

    [LabFact("qemu-system-x86_64", "busybox", "cpio")]
    public void Boot_log()
    {
        output.WriteLine(lab.Log);
        output.WriteLine($"prepare {lab.PrepareTime.TotalSeconds:0.0} s, publish {lab.PublishTime.TotalSeconds:0.0} s, " +
            $"image {lab.ImageTime.TotalSeconds:0.0} s, boot {lab.Machine.BootTime.TotalSeconds:0.0} s");
        Assert.True(lab.Machine.IsRunning);
    }
}
