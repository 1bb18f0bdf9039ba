using System.Diagnostics;
using System.Text.Json;
using Vireo.Lab;

namespace Vireo.Lab.Tests;

/// <summary>The boot benchmark's pieces without a lab: the timing shell (run by the host's
/// busybox, as L1 would), the parser, medians and the report formats.</summary>
public sealed class BootBenchmarkTests
{
    [LabFact("busybox")]
    public void The_timing_shell_stamps_the_marker_logs_the_console_and_reports_the_exit_status()
    {
        using var temp = new TempDirectory();
        string vmm = FakeVmm(temp, "printf 'booting\\r\\n%s 1.23\\r\\nrebooting\\r\\n' '@@VIREO-BENCH@@ guest'; exit 3");
        string log = temp.Combine("vmm.log");

        BootBenchmarkRunOutput run = BootBenchmarkScript.Parse(RunInBusybox(temp, BootBenchmarkScript.TimedRun(vmm, log, TimeSpan.FromSeconds(30))));

        Assert.NotNull(run.ToMarkerSeconds);
        Assert.InRange(run.ToMarkerSeconds.Value, 0, 30);
        Assert.Equal(1.23, run.GuestUptimeAtMarkerSeconds);
        Assert.Equal(3, run.ExitStatus);
        Assert.True(run.ToExitSeconds >= run.ToMarkerSeconds);
        Assert.Empty(run.OtherLines);
        // The console goes to the log (without the tty's '\r'), not over L1's slow serial port.
        Assert.Equal(["booting", "@@VIREO-BENCH@@ guest 1.23", "rebooting"], File.ReadAllLines(log));
    }

    [LabFact("busybox")]
    public void A_run_without_the_marker_has_no_marker_time_and_a_hung_vmm_is_killed_at_the_timeout()
    {
        using var temp = new TempDirectory();
        string vmm = FakeVmm(temp, "echo 'Kernel panic - not syncing'; exec sleep 30");

        BootBenchmarkRunOutput run = BootBenchmarkScript.Parse(
            RunInBusybox(temp, BootBenchmarkScript.TimedRun(vmm, temp.Combine("vmm.log"), TimeSpan.FromSeconds(1))));

        Assert.Null(run.ToMarkerSeconds);
        Assert.Equal(137, run.ExitStatus); // 128 + SIGKILL
        Assert.InRange(run.ToExitSeconds!.Value, 0.5, 25);
    }

    [Fact]
    public void Parse_reads_the_result_lines_and_keeps_the_rest_for_diagnostics()
    {
        BootBenchmarkRunOutput run = BootBenchmarkScript.Parse(
            "sh: oops\r\n@@VIREO-BENCH@@ result marker 7.41 4.24\n@@VIREO-BENCH@@ result exit 7.58 0\n");

        Assert.Equal(7.41, run.ToMarkerSeconds);
        Assert.Equal(4.24, run.GuestUptimeAtMarkerSeconds);
        Assert.Equal(7.58, run.ToExitSeconds);
        Assert.Equal(0, run.ExitStatus);
        Assert.Equal(["sh: oops"], run.OtherLines);
    }

    [Fact]
    public void Both_vmms_get_the_same_guest_command_line_memory_and_cpus()
    {
        var options = new BootBenchmarkOptions { MemoryMiB = 256, Cpus = 1 };
        string vireo = BootBenchmark.VmmCommand(BootBenchmarkVmm.Vireo, options);
        string qemu = BootBenchmark.VmmCommand(BootBenchmarkVmm.Qemu, options);
        string cmdline = $"'{BootBenchmark.KernelCommandLine} {DefaultGuest.ScriptArgument(BootBenchmarkScript.GuestScript)}'";

        Assert.EndsWith($"--cmdline {cmdline}", vireo, StringComparison.Ordinal);
        Assert.Contains("--cpus 1 --memory 256M", vireo, StringComparison.Ordinal);
        Assert.EndsWith($"-append {cmdline}", qemu, StringComparison.Ordinal);
        Assert.Contains("-smp 1 -m 256 ", qemu, StringComparison.Ordinal);
        Assert.Contains("-M microvm -enable-kvm -cpu host", qemu, StringComparison.Ordinal);
        Assert.Contains($"-L {BootBenchmark.QemuDataInL1}", qemu, StringComparison.Ordinal);
    }

    [Fact]
    public void The_result_reports_medians_every_sample_and_the_ratio()
    {
        var result = new BootBenchmarkResult(
            [Sample(BootBenchmarkVmm.Vireo, 1, 7.0), Sample(BootBenchmarkVmm.Vireo, 2, 9.0), Sample(BootBenchmarkVmm.Vireo, 3, 6.0)],
            [Sample(BootBenchmarkVmm.Qemu, 1, 10.0), Sample(BootBenchmarkVmm.Qemu, 2, 12.0)],
            BootBenchmark.KernelCommandLine, BootBenchmark.QemuMachineArguments, 256, 1);

        Assert.Equal(0.7 / 1.1, result.Ratio, 9);
        Assert.True(result.MeetsGoal);

        using JsonDocument json = JsonDocument.Parse(result.ToJson());
        JsonElement root = json.RootElement;
        Assert.Equal(7.0, root.GetProperty("vireo").GetProperty("toMarkerSeconds").GetProperty("median").GetDouble());
        Assert.Equal(11.0, root.GetProperty("qemu").GetProperty("toMarkerSeconds").GetProperty("median").GetDouble());
        Assert.Equal([7.0, 9.0, 6.0], root.GetProperty("vireo").GetProperty("toMarkerSeconds").GetProperty("samples").EnumerateArray().Select(e => e.GetDouble()));
        Assert.Equal(3.0, root.GetProperty("vireo").GetProperty("guestUptimeAtMarkerSeconds").GetProperty("median").GetDouble());
        Assert.Equal(Math.Round(0.7 / 1.1, 3), root.GetProperty("ratio").GetDouble());
        Assert.True(root.GetProperty("meetsGoal").GetBoolean());

        string table = result.ToTable();
        Assert.Contains("vireo/qemu, median time to marker: 0.636", table, StringComparison.Ordinal);
        Assert.Contains("round 3", table, StringComparison.Ordinal);
    }

    private static BootBenchmarkSample Sample(BootBenchmarkVmm vmm, int round, double toMarker) =>
        new(vmm, round, toMarker, toMarker + 0.2, toMarker - 4.0);

    private static string FakeVmm(TempDirectory temp, string body)
    {
        string path = temp.Combine("fake-vmm");
        File.WriteAllText(path, $"#!/bin/busybox sh\n{body}\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    /// <summary>Runs a script with busybox's sh and applets first on PATH, as in L1.</summary>
    private static string RunInBusybox(TempDirectory temp, string script)
    {
        string bin = temp.Combine("bin");
        Directory.CreateDirectory(bin);
        foreach (string applet in (string[])["awk", "timeout", "rm", "sleep", "printf", "echo"])
        {
            File.CreateSymbolicLink(Path.Combine(bin, applet), "/bin/busybox");
        }
        string file = temp.Combine("timed-run.sh");
        File.WriteAllText(file, script);
        var start = new ProcessStartInfo("/bin/busybox") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("sh");
        start.ArgumentList.Add(file);
        start.Environment["PATH"] = $"{bin}:/usr/bin:/bin";
        using Process process = Process.Start(start)!;
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"busybox sh exited {process.ExitCode}: {stderr.Result}");
        return stdout;
    }
}
