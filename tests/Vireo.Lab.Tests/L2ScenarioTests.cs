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
        string[] words = [L1Fixture.VireoInL1, "run", "--kernel", L1Fixture.L2Kernel, "--initramfs", L1Fixture.L2Initramfs, "--memory", "256M",
            .. arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries)];
        string command = L2Command.Build(words, input);
        LabCommandResult result = await lab.Machine.RunAsync(command, s_l2Timeout);
        output.WriteLine($"$ vireo run {arguments}  -> status {result.ExitStatus} in {result.Elapsed.TotalSeconds:0.0} s\n{result.Output}");
        return result;
    }

    [LabFact("qemu-system-x86_64", "busybox", "cpio")]
    public async Task The_stock_kernel_boots_on_two_cpus_with_acpi_takes_console_input_and_powers_off()
    {
        // The guest shell computes the reply, so seeing it proves the typed line reached the
        // shell through the UART and the answer came back out.
        LabCommandResult result = await VireoRun("--cpus 2",
            "echo hello-$((6*7)); cat /sys/devices/system/cpu/online; ls /sys/firmware/acpi/tables; poweroff -f\n");

        Assert.Contains($"{GuestMarkers.Ready} cpus=2", result.Output, StringComparison.Ordinal);
        Assert.Contains("hello-42", result.Output, StringComparison.Ordinal);
        Assert.Contains("0-1", result.Output, StringComparison.Ordinal);
        Assert.Contains("Using ACPI (MADT) for SMP configuration", result.Output, StringComparison.Ordinal);
        Assert.Contains("DSDT", result.Output, StringComparison.Ordinal);
        Assert.Contains("ACPI: PM: Preparing to enter system sleep state S5", result.Output, StringComparison.Ordinal);
        LabAssert.PoweredOffConfined(result.Output);
        Assert.Equal(0, result.ExitStatus);
    }

    /// <summary>`--user`: once set up, every thread of the running VMM is that user and holds no
    /// capability (read from L1's /proc while the guest runs), and the guest boots and powers
    /// off as usual. L1 has no passwd file, so the user is given by number.</summary>
    [LabFact("qemu-system-x86_64", "busybox", "cpio")]
    public async Task With_user_every_vmm_thread_runs_as_that_user_without_capabilities_and_the_guest_boots()
    {
        Assert.True(lab.VireoPublishFailure is null, lab.VireoPublishFailure);
        string run = $"{L1Fixture.VireoInL1} run --kernel {L1Fixture.L2Kernel} --initramfs {L1Fixture.L2Initramfs} --memory 256M --cpus 2 " +
            $"--user 65534:65534 --append {DefaultGuest.ScriptArgument("sleep 5; poweroff -f")}";
        string command = string.Join("\n",
            $"{run} </dev/null >/tmp/user.log 2>&1 & pid=$!",
            "for i in $(seq 1 600); do grep -q '" + GuestMarkers.Ready + "' /tmp/user.log && break; sleep 0.2; done",
            // Every thread: its uids, gids and capability sets.
            "for t in /proc/$pid/task/*; do grep -E '^(Uid|Gid|CapPrm|CapEff):' $t/status | tr -s '\\t' ' ' | tr '\\n' ' '; echo; done > /tmp/user.threads",
            "echo threads=$(wc -l < /tmp/user.threads)",
            "echo root-or-capable=$(grep -v 'Uid: 65534 65534 65534 65534 Gid: 65534 65534 65534 65534 CapPrm: 0000000000000000 CapEff: 0000000000000000' /tmp/user.threads | wc -l)",
            "wait $pid; echo vireo-status=$?; cat /tmp/user.log");
        LabCommandResult result = await lab.Machine.RunAsync(command, s_l2Timeout);
        output.WriteLine(result.Output);

        Assert.True(result.Output.Contains($"{GuestMarkers.Ready} cpus=2", StringComparison.Ordinal), result.Output + "\n" + lab.Log);
        Assert.Contains("root-or-capable=0", result.OutputLines);
        string threads = result.OutputLines.Single(l => l.StartsWith("threads=", StringComparison.Ordinal));
        Assert.True(int.Parse(threads["threads=".Length..], System.Globalization.CultureInfo.InvariantCulture) > 5, threads);
        Assert.Contains("vireo-status=0", result.OutputLines);
    }

    [LabFact("qemu-system-x86_64", "busybox", "cpio")]
    public async Task A_guest_reboot_ends_the_run_with_status_0()
    {
        LabCommandResult result = await VireoRun("", "reboot -f\n");

        Assert.Contains("vireo: guest requested reboot", result.Output, StringComparison.Ordinal);
        Assert.Equal(0, result.ExitStatus);
    }

    [LabFact("qemu-system-x86_64", "busybox", "cpio")]
    public async Task With_on_reboot_restart_a_guest_reboot_boots_it_again()
    {
        Assert.True(lab.VireoPublishFailure is null, lab.VireoPublishFailure);
        string run = $"{L1Fixture.VireoInL1} run --kernel {L1Fixture.L2Kernel} --initramfs {L1Fixture.L2Initramfs} --memory 256M --on-reboot restart";
        // Reboot at the first shell prompt, power off at the second. A keystroke typed while the
        // guest's tty is still being set up can be discarded, so each command is typed again
        // every 10 s until its effect shows (the restart line, S5); every wait is bounded well inside the L1 timeout so a
        // failure reports the console instead of taking L1 down.
        string command = string.Join("\n",
            "rm -f /tmp/in /tmp/out; mkfifo /tmp/in; : >/tmp/out",
            $"{run} 0<>/tmp/in >/tmp/out 2>&1 & pid=$!",
            "ready() { grep -c 'ready cpus' /tmp/out; }",
            "for i in $(seq 1 600); do [ $(ready) -ge 1 ] && grep -qF '# ' /tmp/out && break; sleep 0.1; done",
            "for i in $(seq 1 60); do grep -q 'starting it again' /tmp/out && break; [ $((i % 10)) -eq 1 ] && echo 'reboot -f' >/tmp/in; sleep 1; done",
            "for i in $(seq 1 900); do sed -n '/starting it again/,$p' /tmp/out | grep -qF '# ' && break; sleep 0.1; done",
            "for i in $(seq 1 60); do kill -0 $pid 2>/dev/null || break; sed -n '/starting it again/,$p' /tmp/out | grep -q 'sleep state S5' && { sleep 1; continue; }; [ $((i % 10)) -eq 1 ] && echo 'poweroff -f' >/tmp/in; sleep 1; done",
            "kill -TERM $pid 2>/dev/null; kill -TERM $pid 2>/dev/null; wait $pid; s=$?; cat /tmp/out; exit $s");

        LabCommandResult result = await lab.Machine.RunAsync(command, s_l2Timeout);
        output.WriteLine(result.Output);

        Assert.Equal(2, System.Text.RegularExpressions.Regex.Matches(result.Output, "@@VIREO-GUEST@@ ready").Count);
        Assert.Contains("vireo: guest rebooted; starting it again", result.Output, StringComparison.Ordinal);
        LabAssert.PoweredOffConfined(result.Output);
        Assert.Equal(0, result.ExitStatus);
    }

    [LabFact("qemu-system-x86_64", "busybox", "cpio")]
    public async Task Sigterm_presses_the_acpi_power_button_and_the_guest_shuts_down_cleanly()
    {
        Assert.True(lab.VireoPublishFailure is null, lab.VireoPublishFailure);
        string run = $"{L1Fixture.VireoInL1} run --kernel {L1Fixture.L2Kernel} --initramfs {L1Fixture.L2Initramfs} --memory 256M";
        // Wait for the shell prompt (acpid is running by then), then send SIGTERM once.
        // Wait for the shell prompt (acpid is running by then), then send SIGTERM once. If the
        // guest has not shut down 30 s later, a second SIGTERM stops it so the test fails
        // with the console in hand instead of hanging.
        string command = $"{run} </dev/null >/tmp/pb 2>&1 & pid=$!; " +
            "while ! grep -qF '# ' /tmp/pb; do sleep 0.1; done; sleep 1; kill -TERM $pid; " +
            "for i in $(seq 1 150); do kill -0 $pid 2>/dev/null || break; sleep 0.2; done; " +
            "kill -TERM $pid 2>/dev/null; wait $pid; s=$?; cat /tmp/pb; exit $s";

        LabCommandResult result = await lab.Machine.RunAsync(command, s_l2Timeout);
        output.WriteLine(result.Output);

        Assert.Contains("pressing the guest's ACPI power button", result.Output, StringComparison.Ordinal);
        Assert.Contains("ACPI: PM: Preparing to enter system sleep state S5", result.Output, StringComparison.Ordinal);
        LabAssert.PoweredOffConfined(result.Output);
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
