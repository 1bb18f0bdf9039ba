using Vireo.Lab;

namespace Vireo.Lab.Tests;

/// <summary>The runner's failure paths, driven by a shell script standing in for QEMU so they
/// cost no emulation: timeouts kill it, an early exit is reported with its stderr.</summary>
public sealed class L1MachineTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private L1BootOptions FakeQemu(string script, TimeSpan? boot = null, TimeSpan? command = null)
    {
        string qemu = _temp.Combine("fake-qemu");
        File.WriteAllText(qemu, "#!/bin/sh\n" + script + "\n");
        File.SetUnixFileMode(qemu, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.WriteAllText(_temp.Combine("vmlinuz"), "");
        File.WriteAllText(_temp.Combine("l1.cpio.gz"), "");
        return new L1BootOptions
        {
            Qemu = qemu,
            Kernel = _temp.Combine("vmlinuz"),
            Initramfs = _temp.Combine("l1.cpio.gz"),
            BootTimeout = boot ?? TimeSpan.FromSeconds(20),
            CommandTimeout = command ?? TimeSpan.FromSeconds(20),
        };
    }

    [Fact]
    public async Task A_boot_that_never_gets_ready_times_out_and_is_killed()
    {
        L1BootOptions options = FakeQemu("echo 'Linux version 6.1'; exec sleep 600", boot: TimeSpan.FromSeconds(1));
        LabTimeoutException e = await Assert.ThrowsAsync<LabTimeoutException>(() => L1Machine.BootAsync(options));
        Assert.Contains("ready marker", e.Message, StringComparison.Ordinal);
        Assert.Contains("Linux version 6.1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Qemu_exiting_early_is_reported_with_its_stderr()
    {
        L1BootOptions options = FakeQemu("echo 'qemu: could not load kernel' >&2; exit 1");
        LabException e = await Assert.ThrowsAsync<LabException>(() => L1Machine.BootAsync(options));
        Assert.Contains("QEMU exited (status 1)", e.Message, StringComparison.Ordinal);
        Assert.Contains("could not load kernel", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_command_that_overruns_times_out_and_stops_the_machine()
    {
        // Ready, then swallow commands without ever answering.
        L1BootOptions options = FakeQemu("echo '@@VIREO-LAB@@ ready 1.25'; while read -r line; do :; done");
        await using L1Machine machine = await L1Machine.BootAsync(options);
        Assert.Equal(1.25, machine.GuestUptimeAtReady);
        LabTimeoutException e = await Assert.ThrowsAsync<LabTimeoutException>(
            () => machine.RunAsync("sleep 1000", TimeSpan.FromSeconds(1)));
        Assert.Contains("sleep 1000", e.Message, StringComparison.Ordinal);
        Assert.False(machine.IsRunning);
        await Assert.ThrowsAsync<LabException>(() => machine.RunAsync("true"));
    }

    [Fact]
    public async Task A_timed_out_command_reports_what_the_monitor_and_the_kernel_log_say()
    {
        // An L1 that stops answering: the monitor (reached with Ctrl-A c on the stdio mux)
        // still answers, and the kernel wrote a warning to its log file before it stopped.
        string log = _temp.Combine("l1-kernel.log");
        File.WriteAllText(log, "[   1.0] booted\r\n[ 502.5] rcu: INFO: rcu_sched self-detected stall on CPU\r\n");
        L1BootOptions fake = FakeQemu(
            "echo '@@VIREO-LAB@@ ready 1.0'; while read -r line; do case \"$line\" in *'info lapic'*) echo 'LVTT 0x000400ec one-shot';; esac; done");
        var options = new L1BootOptions
        {
            Qemu = fake.Qemu,
            Kernel = fake.Kernel,
            Initramfs = fake.Initramfs,
            KernelLogPath = log,
        };
        await using L1Machine machine = await L1Machine.BootAsync(options);

        LabTimeoutException e = await Assert.ThrowsAsync<LabTimeoutException>(
            () => machine.RunAsync("sleep 1000", TimeSpan.FromSeconds(1)));

        Assert.Contains("--- qemu monitor", e.Message, StringComparison.Ordinal);
        Assert.Contains("LVTT 0x000400ec one-shot", e.Message, StringComparison.Ordinal);
        Assert.Contains("[ 502.5] rcu: INFO: rcu_sched self-detected stall on CPU\n", e.Message, StringComparison.Ordinal);
        Assert.False(machine.IsRunning);
    }

    private L1BootOptions WithQmp(L1BootOptions fake, string qmp, TimeSpan? command = null) => new()
    {
        Qemu = fake.Qemu,
        Kernel = fake.Kernel,
        Initramfs = fake.Initramfs,
        QmpSocketPath = qmp,
        WedgeCheckInterval = TimeSpan.FromMilliseconds(200),
        CommandTimeout = command ?? TimeSpan.FromSeconds(60),
    };

    [Fact]
    public void The_timer_is_pending_only_when_the_lvtt_vector_sits_in_the_irr()
    {
        Assert.True(L1Machine.TimerInterruptPending(FakeQmpServer.WedgedLapic));
        Assert.True(L1Machine.TimerInterruptPending(FakeQmpServer.WedgedLapic.Replace("\r\n", "\n", StringComparison.Ordinal)));
        Assert.False(L1Machine.TimerInterruptPending(FakeQmpServer.HealthyLapic));
        // Another vector pending, or the timer masked, is not the wedge.
        Assert.False(L1Machine.TimerInterruptPending(FakeQmpServer.WedgedLapic.Replace("IRR\t 236", "IRR\t 48", StringComparison.Ordinal)));
        Assert.False(L1Machine.TimerInterruptPending(FakeQmpServer.WedgedLapic.Replace("edge                 one-shot", "edge  masked         one-shot", StringComparison.Ordinal)));
        Assert.False(L1Machine.TimerInterruptPending(""));
    }

    [Fact]
    public async Task A_wedged_l1_gets_a_serial_newline_then_an_nmi_and_the_command_finishes_when_it_recovers()
    {
        string qmp = _temp.Combine("l1.qmp");
        string nmied = _temp.Combine("nmi");
        using var server = new FakeQmpServer(qmp)
        {
            Lapic = nmis =>
            {
                if (nmis == 0)
                {
                    return FakeQmpServer.WedgedLapic;
                }
                File.WriteAllText(nmied, "");
                return FakeQmpServer.HealthyLapic;
            },
        };
        // Ready; the command stays "wedged" until the watchdog's NMI has come (however loaded
        // the host, no fixed delay), then answers a second later, after the watchdog's next look.
        L1BootOptions options = WithQmp(FakeQemu(
            "echo '@@VIREO-LAB@@ ready 1.0'; while read -r verb arg rest; do [ \"$verb\" = r ] && { echo \"@@VIREO-LAB@@ begin $arg\"; " +
            $"i=0; while [ ! -e {nmied} ] && [ $i -lt 400 ]; do sleep 0.1; i=$((i+1)); done; sleep 1; echo done; echo \"@@VIREO-LAB@@ end $arg 0\"; }}; done"), qmp);
        await using L1Machine machine = await L1Machine.BootAsync(options);

        LabCommandResult result = await machine.RunAsync("true");

        Assert.Equal("done\n", result.Output);
        Assert.Equal(1, server.Nmis);
        Assert.Contains(machine.WedgeLog, l => l.Contains("nudge 1, a serial newline", StringComparison.Ordinal) && l.Contains("RIP=ffffffff8e8f882d", StringComparison.Ordinal));
        Assert.Contains(machine.WedgeLog, l => l.Contains("nudge 2, an NMI", StringComparison.Ordinal));
        Assert.Contains(machine.WedgeLog, l => l.Contains("recovered after 2 nudge(s)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_serial_newline_reaches_l1_and_an_empty_line_is_no_command()
    {
        string qmp = _temp.Combine("l1.qmp");
        string woken = _temp.Combine("woken");
        using var server = new FakeQmpServer(qmp) { Lapic = _ => File.Exists(woken) ? FakeQmpServer.HealthyLapic : FakeQmpServer.WedgedLapic };
        // Stands for L1, whose kernel takes the newline's interrupt while a command runs: here the
        // command runs in the background and the loop reads the empty line, which un-wedges it.
        L1BootOptions options = WithQmp(FakeQemu(
            $"echo '@@VIREO-LAB@@ ready 1.0'; while read -r verb arg rest; do [ -z \"$verb\" ] && : > {woken}; [ \"$verb\" = r ] && {{ echo \"@@VIREO-LAB@@ begin $arg\"; ( sleep 2; echo \"@@VIREO-LAB@@ end $arg 0\" ) & }}; done"), qmp);
        await using L1Machine machine = await L1Machine.BootAsync(options);

        LabCommandResult result = await machine.RunAsync("true");

        Assert.Equal(0, result.ExitStatus);
        Assert.Equal(0, server.Nmis);
        Assert.Contains(machine.WedgeLog, l => l.Contains("recovered after 1 nudge(s)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_l1_that_stays_wedged_ends_the_command_long_before_its_timeout()
    {
        string qmp = _temp.Combine("l1.qmp");
        using var server = new FakeQmpServer(qmp) { Lapic = _ => FakeQmpServer.WedgedLapic };
        L1BootOptions options = WithQmp(FakeQemu("echo '@@VIREO-LAB@@ ready 1.0'; while read -r line; do :; done"), qmp, command: TimeSpan.FromMinutes(5));
        await using L1Machine machine = await L1Machine.BootAsync(options);
        var clock = System.Diagnostics.Stopwatch.StartNew();

        LabTimeoutException e = await Assert.ThrowsAsync<LabTimeoutException>(() => machine.RunAsync("sleep 1000"));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"took {clock.Elapsed}");
        Assert.Contains("L1 wedged", e.Message, StringComparison.Ordinal);
        Assert.Equal(L1Machine.WedgeNudges / 2, server.Nmis);
        Assert.Contains("(qmp) info lapic", e.Message, StringComparison.Ordinal);
        Assert.False(machine.IsRunning);
    }

    [Fact]
    public void A_kernel_log_file_moves_the_kernel_console_to_the_second_uart()
    {
        var plain = new L1BootOptions { Kernel = "/k", Initramfs = "/i" };
        Assert.Equal(plain.KernelCommandLine, plain.EffectiveKernelCommandLine());
        Assert.DoesNotContain("-serial", plain.QemuArguments());

        var logged = new L1BootOptions { Kernel = "/k", Initramfs = "/i", KernelLogPath = "/tmp/k.log" };
        Assert.Equal("panic=-1 quiet console=ttyS1", logged.EffectiveKernelCommandLine());
        IReadOnlyList<string> args = logged.QemuArguments();
        // The protocol stays on stdio as ttyS0 (with the monitor muxed), the kernel log is ttyS1.
        int first = args.ToList().IndexOf("-serial");
        Assert.Equal(["-serial", "mon:stdio", "-serial", "file:/tmp/k.log"], args.Skip(first).Take(4));
        Assert.Equal("panic=-1 quiet console=ttyS1", args[args.ToList().IndexOf("-append") + 1]);
    }

    [Fact]
    public void Qemu_command_lines_stay_exactly_as_they_are_for_both_architectures()
    {
        var plain = new L1BootOptions { Kernel = "/k", Initramfs = "/i" };
        Assert.Equal(
            ["-accel", "tcg", "-M", "q35", "-cpu", "EPYC,+svm,+npt", "-smp", "1", "-m", "1536", "-nographic", "-nic", "none",
             "-no-reboot", "-kernel", "/k", "-initrd", "/i", "-append", "console=ttyS0 panic=-1 quiet"],
            plain.QemuArguments());

        var everything = new L1BootOptions
        {
            Kernel = "/k",
            Initramfs = "/i",
            Cpus = 2,
            MemoryMiB = 2048,
            DeviceAssignment = true,
            KernelLogPath = "/tmp/k.log",
            QmpSocketPath = "/tmp/l1.qmp",
            ExtraQemuArguments = ["-s"],
        };
        Assert.Equal(
            ["-accel", "tcg", "-M", "q35,kernel-irqchip=split", "-cpu", "EPYC,+svm,+npt", "-smp", "2", "-m", "2048", "-nographic", "-nic", "none",
             "-serial", "mon:stdio", "-serial", "file:/tmp/k.log", "-qmp", "unix:/tmp/l1.qmp,server=on,wait=off",
             "-no-reboot", "-kernel", "/k", "-initrd", "/i", "-append", "panic=-1 quiet console=ttyS1 intel_iommu=on",
             "-device", "intel-iommu,intremap=on", "-device", "edu", "-s"],
            everything.QemuArguments());

        var arm64 = new L1BootOptions
        {
            Architecture = LabArchitecture.Arm64,
            Kernel = "/k",
            Initramfs = "/i",
            Cpus = 2,
            ExtraQemuArguments = ["-s"],
        };
        Assert.Equal(
            ["-accel", "tcg", "-M", "virt,virtualization=on,gic-version=3", "-cpu", "max", "-smp", "2", "-m", "1536", "-nographic", "-nic", "none",
             "-no-reboot", "-kernel", "/k", "-initrd", "/i", "-append", "console=ttyAMA0 panic=-1 quiet", "-s"],
            arm64.QemuArguments());
    }

    [Fact]
    public async Task Markers_are_matched_by_command_id_and_failed_modules_are_collected()
    {
        // Answers every "r <id>" with a stale end marker first (another id), then its own.
        L1BootOptions options = FakeQemu(
            "echo '@@VIREO-LAB@@ insmod-failed /lib/modules/lab/02-kvm-amd.ko'\n" +
            "echo '@@VIREO-LAB@@ ready 2.0'\n" +
            "while read -r verb arg; do\n" +
            "  case $verb in r) echo \"@@VIREO-LAB@@ end 99 1\"; echo \"@@VIREO-LAB@@ begin $arg\"; echo out$arg; printf tail; echo \"@@VIREO-LAB@@ end $arg 3\";; q) exit 0;; esac\n" +
            "done");
        await using L1Machine machine = await L1Machine.BootAsync(options);
        Assert.Equal(["/lib/modules/lab/02-kvm-amd.ko"], machine.FailedModules);
        LabCommandResult first = await machine.RunAsync("anything");
        LabCommandResult second = await machine.RunAsync("anything else");
        Assert.Equal((3, "out1\ntail"), (first.ExitStatus, first.Output));
        Assert.Equal((3, "out2\ntail"), (second.ExitStatus, second.Output));
        Assert.Equal(0, await machine.ShutdownAsync());
    }

    [Fact]
    public async Task Output_lines_reach_the_caller_as_they_arrive_not_when_the_command_ends()
    {
        // One line, two seconds of silence, another line, then the end marker.
        L1BootOptions options = FakeQemu(
            "echo '@@VIREO-LAB@@ ready 1.0'\n" +
            "while read -r verb arg; do\n" +
            "  case $verb in r) echo \"@@VIREO-LAB@@ begin $arg\"; echo first; sleep 2; printf 'second'; echo \"@@VIREO-LAB@@ end $arg 0\";; q) exit 0;; esac\n" +
            "done");
        await using L1Machine machine = await L1Machine.BootAsync(options);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var seen = new List<(string Line, TimeSpan At)>();

        LabCommandResult result = await machine.RunAsync("anything", onOutputLine: line => seen.Add((line, clock.Elapsed)));
        TimeSpan done = clock.Elapsed;

        Assert.Equal(["first", "second"], seen.Select(s => s.Line));
        Assert.True(done - seen[0].At > TimeSpan.FromSeconds(1.5), $"first line at {seen[0].At}, command done at {done}");
        Assert.Equal("first\nsecond", result.Output);
    }
}
