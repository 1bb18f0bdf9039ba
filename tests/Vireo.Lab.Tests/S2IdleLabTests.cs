using System.Text.RegularExpressions;
using Vireo.Lab;
using Xunit.Abstractions;

namespace Vireo.Lab.Tests;

/// <summary>
/// Guest suspend-to-idle with the stock kernel on L1's kvm-amd: the guest writes to
/// /sys/power/state, Vireo parks its vCPUs at the LPS0 entry trap, and a key typed on the host
/// console wakes it. `vireo run` runs in the background with its console on a FIFO, so the test
/// can wait for Vireo's "s2idle:" lines, measure the process's CPU time, and type a key.
/// </summary>
[Collection(LabCollection.Name)]
public sealed partial class S2IdleLabTests(L1Fixture lab, ITestOutputHelper output)
{
    // The guest prints this once its write to /sys/power/state returns, after a 0.3 s pause:
    // with two vCPUs the kernel's last resume line ("PM: suspend exit") may still be on its way
    // to the console from the other CPU, and would otherwise land inside the marker. Loops pause
    // 0.3 s after it too: the shell's line leaves through the tty a byte per transmit interrupt,
    // and the next cycle's first kernel line ("Filesystems sync") is written to the console at
    // once, so without the pause it can land inside the marker from the other side.
    private const string Resumed = "@@s2idle-resumed@@";

    // Waits (up to 3 minutes) for a fixed string in vireo's output; fails the run if vireo ends first.
    // Clock ticks of the vCPU threads and of the whole process come from /proc/PID/task/*/stat
    // and /proc/PID/stat, fields 14 and 15 (utime, stime).
    /// <summary>Shell functions for a lab command that drives one `vireo run` in the background
    /// (its pid in $pid, its output in /tmp/s2out, its stdin the fifo on fd 3).</summary>
    internal const string ShellHelpers = """
        rm -f /tmp/s2in /tmp/s2out; mkfifo /tmp/s2in; : >/tmp/s2out; exec 3<>/tmp/s2in
        fail() { echo "lab: $1"; for t in /proc/$pid/task/*; do echo "lab: thread $(cat $t/comm 2>/dev/null) state=$(awk '{print $3}' $t/stat 2>/dev/null) wchan=$(cat $t/wchan 2>/dev/null)"; done; kill -KILL $pid 2>/dev/null; n=0; while kill -0 $pid 2>/dev/null && [ $n -lt 50 ]; do n=$((n+1)); sleep 0.1; done; kill -0 $pid 2>/dev/null && echo "lab: vireo survived SIGKILL" || wait $pid; cat /tmp/s2out; exit 99; }
        deadline() { echo $(( $(date +%s) + $1 )); }
        waitcount() { end=$(deadline 150); while [ "$(grep -cF -- "$1" /tmp/s2out)" -lt "$2" ]; do kill -0 $pid 2>/dev/null || fail "vireo ended before $2 x: $1"; [ $(date +%s) -gt $end ] && fail "timed out after 150 s waiting for $2 x: $1"; sleep 0.1; done; }
        waitfor() { end=$(deadline 150); while ! grep -qF -- "$1" /tmp/s2out; do kill -0 $pid 2>/dev/null || fail "vireo ended before: $1"; [ $(date +%s) -gt $end ] && fail "timed out after 150 s waiting for: $1"; sleep 0.1; done; }
        vcputicks() { t=0; for d in /proc/$pid/task/*; do case "$(cat $d/comm)" in vcpu*) t=$((t + $(awk '{print $14+$15}' $d/stat)));; esac; done; echo $t; }
        proctic() { awk '{print $14+$15}' /proc/$pid/stat; }
        measure() { v0=$(vcputicks); p0=$(proctic); sleep $2; v1=$(vcputicks); p1=$(proctic); echo "lab: cpu $1: vcpu-ticks=$((v1-v0)) process-ticks=$((p1-p0)) over $2 s"; }
        """;

    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(9);

    [LabFact("qemu-system-x86_64", "busybox", "cpio")]
    public async Task Freeze_parks_the_vcpus_and_a_console_key_resumes_the_guest()
    {
        string script = $"""
            echo freeze > /sys/power/state; s=$?; sleep 0.3; [ $s = 0 ] && echo "{Resumed} status=ok" || echo "{Resumed} status=failed"
            grep -i -E "acpi|button" /proc/interrupts
            dmesg | grep -i -E "PM:|button|wake" | tail -20
            """;
        string body = """
            waitfor 'vireo: s2idle: suspended'
            sleep 1
            measure parked 4
            printf '\n' >&3
            waitfor '@@s2idle-resumed@@'
            waitfor '# '
            sleep 2
            measure idle 4
            printf 'poweroff -f\n' >&3
            """;

        LabCommandResult result = await Run("--cpus 2", script, body);

        string text = result.Output;
        Assert.Equal(0, result.ExitStatus);
        AssertInOrder(text, "vireo: s2idle: s2idle-enter", "vireo: s2idle: suspended", "vireo: s2idle: s2idle-exit", "vireo: s2idle: resumed");
        Assert.Matches(@"vireo: s2idle: s2idle-exit \((cycle 1, )?serial\)", text);
        Assert.Contains($"{Resumed} status=ok", text, StringComparison.Ordinal);
        AssertInOrder(text, "PM: suspend entry (s2idle)", "Freezing remaining freezable tasks completed", "OOM killer enabled.", "Restarting tasks ... done.", "PM: suspend exit");
        // The SCI woke the guest while its IRQs were suspended, and Vireo acknowledged the press
        // at the exit trap, so the guest's SCI handler never ran: no late power-button work.
        Assert.Matches(@"9:\s+0\s+0\s+IO-APIC\s+9-fasteoi\s+acpi", text);
        (int vcpu, int process) parked = Ticks(text, "parked");
        (int vcpu, int process) idle = Ticks(text, "idle");
        output.WriteLine($"parked: {parked}, idle at the shell: {idle} (clock ticks over 4 s)");
        // Parked vCPU threads sleep on a monitor: no guest code, no KVM_RUN, no halt polling.
        Assert.Equal(0, parked.vcpu);
        Assert.True(parked.process <= 2, $"the parked vireo process used {parked.process} ticks in 4 s");
        Assert.Contains("vireo: guest powered off", text, StringComparison.Ordinal);
    }

    [LabFact("qemu-system-x86_64", "busybox", "cpio")]
    public async Task Mem_with_mem_sleep_default_s2idle_suspends_to_idle_and_resumes()
    {
        string script = $"""
            echo "mem_sleep: $(cat /sys/power/mem_sleep)"
            echo mem > /sys/power/state; s=$?; sleep 0.3; [ $s = 0 ] && echo "{Resumed} status=ok" || echo "{Resumed} status=failed"
            poweroff -f
            """;
        string body = """
            waitfor 'vireo: s2idle: suspended'
            printf '\n' >&3
            """;

        LabCommandResult result = await Run("", script, body, cmdline: "mem_sleep_default=s2idle");

        Assert.Equal(0, result.ExitStatus);
        Assert.Contains("mem_sleep: [s2idle]", result.Output, StringComparison.Ordinal);
        AssertInOrder(result.Output, "PM: suspend entry (s2idle)", "vireo: s2idle: suspended",
            "vireo: s2idle: resumed", "PM: suspend exit", $"{Resumed} status=ok");
    }

    [LabFact("qemu-system-x86_64", "busybox", "cpio")]
    public async Task S2idle_wake_after_wakes_the_guest_from_a_timer()
    {
        string script = $"""
            echo freeze > /sys/power/state; s=$?; sleep 0.3; [ $s = 0 ] && echo "{Resumed} status=ok" || echo "{Resumed} status=failed"
            poweroff -f
            """;

        LabCommandResult result = await Run("--s2idle-wake-after 2s", script, "waitfor '@@s2idle-resumed@@'");

        Assert.Equal(0, result.ExitStatus);
        AssertInOrder(result.Output, "vireo: s2idle: suspended", "vireo: s2idle: s2idle-exit", "vireo: s2idle: resumed", $"{Resumed} status=ok");
        Assert.Matches(@"vireo: s2idle: s2idle-exit \((cycle 1, )?timer\)", result.Output);
    }

    [LabFact("qemu-system-x86_64", "busybox", "cpio")]
    public async Task Twenty_suspend_resume_cycles_in_a_row_complete_without_a_hang()
    {
        const int cycles = 20;
        string script = $$"""
            i=1
            while [ $i -le {{cycles}} ]; do
                echo freeze > /sys/power/state; s=$?; sleep 0.3; [ $s = 0 ] && echo "{{Resumed}} cycle=$i status=ok" || echo "{{Resumed}} cycle=$i status=failed"; sleep 0.3
                i=$((i+1))
            done
            poweroff -f
            """;
        string body = $"""
            i=1
            while [ $i -le {cycles} ]; do
                waitcount 'vireo: s2idle: suspended' $i
                printf '\n' >&3
                i=$((i+1))
            done
            """;

        // quiet: fewer kernel lines interleaved with the markers.
        LabCommandResult result = await Run("--cpus 2", script, body, cmdline: "quiet");

        Assert.Equal(0, result.ExitStatus);
        Assert.Equal(cycles, Count(result.Output, "vireo: s2idle: suspended"));
        Assert.Equal(cycles, Count(result.Output, "vireo: s2idle: resumed"));
        for (int i = 1; i <= cycles; i++)
        {
            // Only the start of the marker: kernel lines can land inside a console line.
            Assert.Contains($"{Resumed} cycle={i} stat", result.Output, StringComparison.Ordinal);
        }
        Assert.DoesNotContain("status=failed", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("s2idle-abort", result.Output, StringComparison.Ordinal);
    }

    [LabFact("qemu-system-x86_64", "busybox", "cpio")]
    public async Task Keys_typed_throughout_entry_never_leave_the_guest_suspended()
    {
        // A key every 20 ms from before the guest suspends: whichever state each lands in
        // (running: ignored; entering: kept and delivered once parked; suspended: delivered),
        // the guest must come back, and each cycle must end in resumed or abort.
        string script = $"""
            sleep 1
            echo freeze > /sys/power/state; s=$?; sleep 0.3; [ $s = 0 ] && echo "{Resumed} status=ok" || echo "{Resumed} status=failed"
            poweroff -f
            """;
        string body = """
            waitfor '@@VIREO-GUEST@@ ready'
            ( while kill -0 $pid 2>/dev/null; do printf '\n'; sleep 0.02; done ) >&3 &
            waitfor '@@s2idle-resumed@@'
            """;

        LabCommandResult result = await Run("--cpus 2", script, body);

        Assert.Equal(0, result.ExitStatus);
        Assert.Contains($"{Resumed} status=ok", result.Output, StringComparison.Ordinal);
        Assert.Contains("vireo: s2idle: s2idle-enter", result.Output, StringComparison.Ordinal);
        Assert.Matches(@"vireo: s2idle: (resumed|s2idle-abort)", result.Output);
    }

    [LabFact("qemu-system-x86_64", "busybox", "cpio")]
    public async Task The_api_reports_the_suspend_and_vm_wake_resumes_the_guest_with_events()
    {
        string script = $"""
            echo freeze > /sys/power/state; s=$?; sleep 0.3; [ $s = 0 ] && echo "{Resumed} status=ok" || echo "{Resumed} status=failed"
            """;
        string body = $"""
            A=/tmp/s2api.sock
            n=0; while [ ! -S $A ]; do n=$((n+1)); [ $n -gt 600 ] && fail "no API socket"; sleep 0.05; done
            {L1Fixture.VireoInL1} remote --api-socket $A events > /tmp/s2events 2>&1 & ev=$!
            waitfor 'vireo: s2idle: suspended'
            echo "INFO=$({L1Fixture.VireoInL1} remote --api-socket $A info | tr -d ' \n')"
            {L1Fixture.VireoInL1} remote --api-socket $A wake || echo WAKE-FAILED
            waitfor '{Resumed}'
            waitfor '# '
            {L1Fixture.VireoInL1} remote --api-socket $A wake 2>&1 | sed 's/^/SECONDWAKE: /'
            printf 'poweroff -f\n' >&3
            """;
        body += "\n" + "sleep 1; kill $ev 2>/dev/null; sed 's/^/EVENT: /' /tmp/s2events";

        LabCommandResult result = await Run("--api-socket /tmp/s2api.sock", script, body);

        string text = result.Output;
        Assert.Equal(0, result.ExitStatus);
        Assert.Contains("\"power_state\":\"s2idle\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain("WAKE-FAILED", text, StringComparison.Ordinal);
        Assert.Matches(@"vireo: s2idle: s2idle-exit \((cycle 1, )?api\)", text);
        Assert.Contains($"{Resumed} status=ok", text, StringComparison.Ordinal);
        // A wake with nothing suspended is refused with 409, and the guest keeps running.
        Assert.Matches("SECONDWAKE: .*409", text);
        AssertInOrder(text, "EVENT: {\"event\":\"s2idle-enter\"", "EVENT: {\"event\":\"suspended\"", "EVENT: {\"event\":\"s2idle-exit\"", "EVENT: {\"event\":\"resumed\"");
        Assert.Contains("vireo: guest powered off", text, StringComparison.Ordinal);
    }

    [LabFact("qemu-system-x86_64", "busybox", "cpio")]
    public async Task On_suspend_and_on_resume_run_their_host_commands_once_per_cycle_in_order()
    {
        const int cycles = 3;
        // The guest pauses between cycles, so each cycle's resume hook (started without waiting,
        // like every hook) has long written its line before the next suspend's hook starts.
        string script = $$"""
            i=1
            while [ $i -le {{cycles}} ]; do
                echo freeze > /sys/power/state; s=$?; sleep 0.3; [ $s = 0 ] && echo "{{Resumed}} cycle=$i status=ok" || echo "{{Resumed}} cycle=$i status=failed"; sleep 0.3
                sleep 2
                i=$((i+1))
            done
            poweroff -f
            """;
        string body = $$"""
            waitcount '{{Resumed}} cycle=' {{cycles}}
            n=0; while [ "$(grep -c '^resume' /tmp/s2hooks 2>/dev/null)" != {{cycles}} ]; do n=$((n+1)); [ $n -gt 300 ] && fail "the resume hooks did not all run"; sleep 0.1; done
            sed 's/^/HOOK: /' /tmp/s2hooks
            """;
        string[] arguments =
        [
            "--s2idle-wake-after", "1s",
            "--on-suspend", "echo \"suspend $VIREO_EVENT $VIREO_CYCLE\" >> /tmp/s2hooks",
            "--on-resume", "echo \"resume $VIREO_EVENT $VIREO_CYCLE\" >> /tmp/s2hooks",
        ];

        LabCommandResult result = await Run(arguments, script, "rm -f /tmp/s2hooks\n" + body, cmdline: "quiet");

        string text = result.Output;
        Assert.Equal(0, result.ExitStatus);
        string[] hooks = [.. text.Split('\n').Where(l => l.StartsWith("HOOK: ", StringComparison.Ordinal)).Select(l => l["HOOK: ".Length..].Trim())];
        string[] expected = [.. Enumerable.Range(1, cycles).SelectMany(i => new[] { $"suspend suspended {i}", $"resume resumed {i}" })];
        Assert.Equal(expected, hooks);
        Assert.Equal(cycles, Count(text, "vireo: s2idle: suspended"));
        Assert.DoesNotContain("status=failed", text, StringComparison.Ordinal);
        Assert.DoesNotContain("cannot run the", text, StringComparison.Ordinal);
    }

    [LabFact("qemu-system-x86_64", "busybox", "cpio")]
    public async Task A_wake_at_the_entry_trap_cuts_the_suspend_short_and_the_guest_runs_on()
    {
        // --s2idle-wake-after 0 requests the wake inside the entry trap, while the vCPUs are
        // being parked (the state machine is Entering), every time: no timing luck involved.
        // Twice, so the second cycle shows the first left nothing behind.
        string script = $$"""
            for i in 1 2; do
                echo freeze > /sys/power/state; s=$?; sleep 0.3; [ $s = 0 ] && echo "{{Resumed}} cycle=$i status=ok" || echo "{{Resumed}} cycle=$i status=failed"; sleep 0.3
            done
            poweroff -f
            """;
        string body = $"waitcount '{Resumed} cycle=' 2";

        LabCommandResult result = await Run(["--s2idle-wake-after", "0", "--cpus", "2"], script, body);

        string text = result.Output;
        Assert.Equal(0, result.ExitStatus);
        for (int cycle = 1; cycle <= 2; cycle++)
        {
            // The wake arrived while entering: kept, delivered once parked, never "suspended".
            // Only the start of the marker: the next cycle's "PM: suspend entry" can land inside it.
            AssertInOrder(text, $"vireo: s2idle: s2idle-enter (cycle {cycle})", $"vireo: s2idle: s2idle-exit (cycle {cycle}, timer)",
                $"vireo: s2idle: resumed (cycle {cycle})", $"{Resumed} cycle={cycle} stat");
        }
        Assert.DoesNotContain("vireo: s2idle: suspended", text, StringComparison.Ordinal);
        Assert.DoesNotContain("s2idle-abort", text, StringComparison.Ordinal);
        Assert.DoesNotContain("status=failed", text, StringComparison.Ordinal);
        // The guest's own suspend path ran to its end both times.
        Assert.Equal(2, Count(text, "PM: suspend exit"));
        Assert.Contains("vireo: guest powered off", text, StringComparison.Ordinal);
    }

    [LabFact("qemu-system-x86_64", "busybox", "cpio")]
    public async Task Bench_s2idle_runs_on_l1s_kvm_amd_and_reports_sane_figures()
    {
        Assert.True(lab.VireoPublishFailure is null, lab.VireoPublishFailure);

        LabCommandResult result = await lab.Machine.RunAsync($"{L1Fixture.VireoInL1} bench s2idle --count 50 --json", TimeSpan.FromMinutes(3));

        output.WriteLine(result.Output);
        Assert.Equal(0, result.ExitStatus);
        Match json = Regex.Match(result.Output, @"\{""cycles"".*\}");
        Assert.True(json.Success, "no JSON line in the output");
        using var doc = System.Text.Json.JsonDocument.Parse(json.Value);
        System.Text.Json.JsonElement root = doc.RootElement;
        Assert.Equal("amd", root.GetProperty("backend").GetString());
        Assert.Equal(50, root.GetProperty("wakeToFirstInstructionUs").GetProperty("count").GetInt32());
        Assert.True(root.GetProperty("referenceRoundTripUs").GetProperty("median").GetDouble() > 0);
        Assert.True(root.GetProperty("entryToSuspendedRatio").GetDouble() > 0);
        Assert.True(root.GetProperty("wakeToFirstInstructionRatio").GetDouble() > 0);
    }

    private Task<LabCommandResult> Run(string arguments, string guestScript, string body, string? cmdline = null)
        => Run(arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries), guestScript, body, cmdline);

    private async Task<LabCommandResult> Run(string[] arguments, string guestScript, string body, string? cmdline = null, string initramfs = L1Fixture.L2Initramfs)
    {
        Assert.True(lab.VireoPublishFailure is null, lab.VireoPublishFailure);
        string[] words = [L1Fixture.VireoInL1, "run", "--kernel", L1Fixture.L2Kernel, "--initramfs", initramfs, "--memory", "256M",
            .. arguments, "--append", (cmdline is null ? "" : cmdline + " ") + DefaultGuest.ScriptArgument(guestScript)];
        string run = string.Join(' ', words.Select(L2Command.Quote));
        string command = $"{ShellHelpers}\n{run} 0<>/tmp/s2in >/tmp/s2out 2>&1 & pid=$!\n{body}\n" +
            "end=$(deadline 120); while kill -0 $pid 2>/dev/null; do [ $(date +%s) -gt $end ] && fail 'vireo did not end within 120 s'; sleep 0.1; done\n" +
            "wait $pid; s=$?; cat /tmp/s2out; exit $s";
        LabCommandResult result = await lab.Machine.RunAsync(command, s_timeout);
        output.WriteLine($"$ vireo run {string.Join(' ', arguments)}  -> status {result.ExitStatus} in {result.Elapsed.TotalSeconds:0.0} s\n{result.Output}");
        return result;
    }

    private static (int Vcpu, int Process) Ticks(string text, string label)
    {
        Match m = Regex.Match(text, $@"lab: cpu {label}: vcpu-ticks=(\d+) process-ticks=(\d+)");
        Assert.True(m.Success, $"no CPU measurement '{label}' in the output");
        return (int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    private static int Count(string text, string part) => Regex.Count(text, Regex.Escape(part));

    private static void AssertInOrder(string text, params string[] parts)
    {
        int at = 0;
        foreach (string part in parts)
        {
            int found = text.IndexOf(part, at, StringComparison.Ordinal);
            Assert.True(found >= 0, $"'{part}' missing after offset {at}");
            at = found + part.Length;
        }
    }
}
