using Vireo.TestSupport;

namespace Vireo.Cli.Tests;

/// <summary>
/// The confinement `vireo run` applies once set up, proven by `vireo confine-check` in a child
/// process (a confined process stays confined, so never this test runner): it confines itself
/// exactly as run does (the same <c>VmmConfinement.Activate</c>), then probes from a thread of
/// each kind, from a thread that was running before, and through the API server. Needs no KVM.
/// </summary>
public sealed class ConfinementTests : IDisposable
{
    // One errno-mode run answers every probe line (each run is a process start).
    private static readonly Lazy<Task<(int Status, string Stdout, string Stderr)>> s_errnoRun = new(() =>
        RunAsync("confine-check", "--dir", Directory.CreateTempSubdirectory("vireo-confine-").FullName));

    private readonly string _dir = Directory.CreateTempSubdirectory("vireo-confine-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Capabilities_are_dropped_and_no_new_privs_and_the_filter_are_set()
    {
        (int status, string stdout, string stderr) = await s_errnoRun.Value;

        Assert.True(status == 0, stderr);
        Dictionary<string, string> proc = stdout.Split('\n').Where(l => l.Contains(":\t", StringComparison.Ordinal))
            .Select(l => l.Split(":\t")).ToDictionary(p => p[0], p => p[1].Trim());
        Assert.Equal("1", proc["NoNewPrivs"]);
        Assert.Equal("0000000000000000", proc["CapEff"]);
        Assert.Equal("0000000000000000", proc["CapPrm"]);
        Assert.Equal("0000000000000000", proc["CapInh"]);
        Assert.Equal("0000000000000000", proc["CapAmb"]);
        Assert.Equal("0000000000000000", proc["CapBnd"]);
        // 2 = SECCOMP_MODE_FILTER; the baseline on the main thread, no kind filter of its own.
        Assert.Equal("2", proc["Seccomp"]);
        Assert.Equal("1", proc["Seccomp_filters"]);
    }

    [Theory]
    // The baseline, on every thread at once (TSYNC), including one that was already running.
    [InlineData("early socket(AF_INET): EPERM")]
    [InlineData("early socket(AF_UNIX): ok")]
    [InlineData("main socket(AF_INET): EPERM")]
    [InlineData("main execve: EPERM")]
    [InlineData("main umount2: EPERM")]
    [InlineData("main socket(AF_UNIX): ok")]
    // A vCPU: no sockets, no new files, no terminal ioctls, but KVM's ioctls pass the filter.
    [InlineData("vcpu socket(AF_INET): EPERM")]
    [InlineData("vcpu socket(AF_UNIX): EPERM")]
    [InlineData("vcpu execve: EPERM")]
    [InlineData("vcpu openat(O_CREAT): EPERM")]
    [InlineData("vcpu openat(O_RDONLY): ok")]
    [InlineData("vcpu ioctl(TIOCSTI): EPERM")]
    [InlineData("vcpu ioctl(KVM_GET_API_VERSION): ENOTTY")]
    [InlineData("vcpu eventfd2: ok")]
    [InlineData("vcpu thread: ok")]
    // A device thread: AF_UNIX sockets (vsock) and KVM (interrupt injection), no new files.
    [InlineData("device socket(AF_INET): EPERM")]
    [InlineData("device socket(AF_UNIX): ok")]
    [InlineData("device execve: EPERM")]
    [InlineData("device openat(O_CREAT): EPERM")]
    [InlineData("device ioctl(TIOCSTI): EPERM")]
    [InlineData("device ioctl(KVM_GET_API_VERSION): ENOTTY")]
    [InlineData("device eventfd2: ok")]
    [InlineData("device thread: ok")]
    // The control loop builds machines again on reboot: it may open files, but not exec or use the network.
    [InlineData("control socket(AF_INET): EPERM")]
    [InlineData("control execve: EPERM")]
    [InlineData("control openat(O_CREAT): ok")]
    [InlineData("control ioctl(TIOCSTI): EPERM")]
    [InlineData("control ioctl(KVM_GET_API_VERSION): ENOTTY")]
    [InlineData("control thread: ok")]
    // The API server (thread pool, baseline) still answers, and the control thread behind it.
    [InlineData("api vm.info: Running from vmm-control")]
    public async Task Each_thread_kind_refuses_what_it_does_not_need_with_EPERM_and_keeps_what_it_does(string line)
    {
        (int status, string stdout, string stderr) = await s_errnoRun.Value;

        Assert.True(status == 0, stderr);
        Assert.Contains(line, stdout.Split('\n'));
    }

    [Theory]
    [InlineData("vcpu")]
    [InlineData("device")]
    [InlineData("control")]
    [InlineData("main")]
    public async Task Under_kill_a_forbidden_call_kills_the_process_by_SIGSYS(string kind)
    {
        (int status, string stdout, _) = await RunAsync("confine-check", "--dir", _dir, "--mode", "kill", "--forbidden-on", kind);

        // Set up and confined without dying; then the call itself killed it (128 + SIGSYS).
        Assert.Contains($"calling socket(AF_INET) on a {kind} thread", stdout);
        Assert.DoesNotContain("socket(AF_INET): ", stdout);
        Assert.Equal(128 + 31, status);
    }

    [Fact]
    public async Task Under_kill_a_confined_run_that_stays_within_its_allowlists_lives()
    {
        (int status, string stdout, string stderr) = await RunAsync("confine-check", "--dir", _dir, "--mode", "kill");

        Assert.True(status == 0, $"exit {status}: {stdout}\n{stderr}");
        Assert.Contains("api vm.info: Running from vmm-control", stdout);
        Assert.Contains("vcpu thread: ok", stdout);
    }

    [Theory]
    [InlineData("errno")]
    [InlineData("kill")]
    public async Task A_host_hook_runs_from_the_confined_control_thread(string mode)
    {
        (int status, string stdout, string stderr) = await RunAsync("confine-check", "--dir", _dir, "--hook", "--mode", mode);

        Assert.True(status == 0, $"exit {status}: {stdout}\n{stderr}");
        Assert.Contains("control hook: suspended 3", stdout);
        Assert.DoesNotContain("hook log:", stdout);
    }

    [Fact]
    public async Task With_vfio_only_CAP_IPC_LOCK_is_kept_where_the_process_had_it()
    {
        bool privileged = File.ReadAllLines("/proc/self/status").Single(l => l.StartsWith("CapPrm:", StringComparison.Ordinal))
            .Split('\t')[1] is var prm && (Convert.ToUInt64(prm, 16) & (1UL << 14)) != 0;

        (int status, string stdout, string stderr) = await RunAsync("confine-check", "--dir", _dir, "--vfio");

        Assert.True(status == 0, stderr);
        string kept = privileged ? "0000000000004000" : "0000000000000000";
        Assert.Contains($"CapEff:\t{kept}", stdout);
        Assert.Contains($"CapPrm:\t{kept}", stdout);
        Assert.Contains("CapInh:\t0000000000000000", stdout);
        Assert.Contains("NoNewPrivs:\t1", stdout);
    }

    /// <summary>Capabilities are per thread: without --user the runtime's threads started before
    /// the confinement may keep root's; with --user every thread leaves uid 0 and holds none.</summary>
    [Fact]
    public async Task With_user_every_thread_of_the_process_becomes_that_user_and_holds_no_capability()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            // Not root: there is no user to switch from, and the switch needs CAP_SETUID.
            (int refused, _, string why) = await RunAsync("confine-check", "--dir", _dir, "--user", "nobody");
            Assert.NotEqual(0, refused);
            Assert.Contains("setgroups", why);
            return;
        }
        // The scratch files are made after the switch: let the user write there.
        File.SetUnixFileMode(_dir, (UnixFileMode)0x1FF);

        (int status, string stdout, string stderr) = await RunAsync("confine-check", "--dir", _dir, "--user", "nobody");

        Assert.True(status == 0, stderr + stdout);
        string threads = stdout.Split('\n').Single(l => l.StartsWith("threads: ", StringComparison.Ordinal));
        Assert.Contains("holding capabilities: 0,", threads);
        Assert.EndsWith("uids: 65534, gids: 65534", threads.TrimEnd());
        Assert.Contains("CapBnd:\t0000000000000000", stdout);
        Assert.Contains("NoNewPrivs:\t1", stdout);
        // The filters are on as without --user.
        Assert.Contains("main socket(AF_INET): EPERM", stdout);
        Assert.Contains("vcpu socket(AF_UNIX): EPERM", stdout);
        Assert.Contains("control openat(O_CREAT): ok", stdout);
    }

    [Fact]
    public async Task Without_user_the_probe_reports_every_thread()
    {
        (int status, string stdout, string stderr) = await s_errnoRun.Value;

        Assert.True(status == 0, stderr);
        string threads = stdout.Split('\n').Single(l => l.StartsWith("threads: ", StringComparison.Ordinal));
        int count = int.Parse(threads["threads: ".Length..threads.IndexOf(',', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(count > 3, threads);
    }

    [Fact]
    public async Task User_is_refused_with_vfio_and_for_root_and_unknown_names_before_anything_opens()
    {
        var stderr = new StringWriter();
        Assert.Equal(2, await CommandLine.RunAsync(["run", "--kernel", "/k", "--user", "nobody", "--vfio", "0000:01:00.0"], new StringWriter(), stderr));
        Assert.Contains("--user gives up CAP_IPC_LOCK", stderr.ToString());

        foreach ((string spec, string error) in new[] { ("root", "is root"), ("no-such-user-vireo", "no user named 'no-such-user-vireo'"), ("a:b:c", "is not USER or USER:GROUP") })
        {
            stderr = new StringWriter();
            int code = await CommandLine.RunAsync(["run", "--kernel", "/nonexistent/k", "--user", spec], new StringWriter(), stderr);
            Assert.True(code == 2, stderr.ToString());
            Assert.Contains(error, stderr.ToString());
        }
    }

    [Fact]
    public void User_is_forwarded_to_the_lab()
    {
        Assert.Equal(["--user", "vireo:kvm"], new RunOptions { User = "vireo:kvm" }.ForwardedArguments().TakeLast(2));
    }

    [Fact]
    public async Task Off_drops_privileges_without_a_filter()
    {
        (int status, string stdout, string stderr) = await RunAsync("confine-check", "--dir", _dir, "--mode", "off");

        Assert.True(status == 0, stderr);
        Assert.Contains("NoNewPrivs:\t1", stdout);
        Assert.Contains("Seccomp:\t0", stdout);
        Assert.Contains("CapEff:\t0000000000000000", stdout);
        Assert.Contains("vcpu socket(AF_INET): ok", stdout);
    }

    [Fact]
    public async Task Run_help_explains_seccomp_and_a_bad_mode_is_a_usage_error()
    {
        var stdout = new StringWriter();
        Assert.Equal(0, await CommandLine.RunAsync(["run", "--help"], stdout, new StringWriter()));
        Assert.Contains("--seccomp <errno|kill|log|off>", stdout.ToString());
        Assert.Contains("arm64", stdout.ToString());

        var stderr = new StringWriter();
        Assert.Equal(2, await CommandLine.RunAsync(["run", "--kernel", "/k", "--seccomp", "trap"], new StringWriter(), stderr));
        Assert.Contains("--seccomp takes errno, kill, log or off, not 'trap'", stderr.ToString());
    }

    [Fact]
    public void Seccomp_is_forwarded_to_the_lab_unless_it_is_the_default()
    {
        Assert.DoesNotContain("--seccomp", new RunOptions().ForwardedArguments());
        Assert.Equal(["--seccomp", "kill"], new RunOptions { Seccomp = Vireo.Vmm.ConfinementMode.Kill }.ForwardedArguments().TakeLast(2));
    }

    private static Task<(int Status, string Stdout, string Stderr)> RunAsync(params string[] args)
        => ChildProgram.RunAsync("vireo.dll", TimeSpan.FromSeconds(60), args);
}
