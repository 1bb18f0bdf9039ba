using System.Diagnostics;
using System.Net.Sockets;
using Vireo.Lab;

namespace Vireo.Lab.Tests;

/// <summary>The script `vireo-lab run` runs in L1 for --vfio-user and --l1, run here under
/// busybox sh (L1's shell) with stand-ins for vireo and vireo-device.</summary>
public sealed class L1RunScriptTests
{
    // A device server that says it listens, as vireo-device does, and leaves on SIGTERM.
    private const string FakeDevice = """
        #!/bin/sh
        trap 'echo "stopped $2"; exit 0' TERM
        echo "listening on $2"
        while :; do sleep 0.1; done
        """;

    private static (int Status, string Output, TimeSpan Took) RunScript(string script)
    {
        var start = new ProcessStartInfo("/bin/busybox")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in (string[])["sh", "-c", script])
        {
            start.ArgumentList.Add(argument);
        }
        var clock = Stopwatch.StartNew();
        using Process process = Process.Start(start)!;
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(60_000), "the script did not end in 60 s");
        return (process.ExitCode, stdout + stderr.Result, clock.Elapsed);
    }

    private static string WriteExecutable(TempDirectory temp, string name, string text)
    {
        string path = temp.Combine(name);
        File.WriteAllText(path, text.ReplaceLineEndings("\n") + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    [LabFact("busybox")]
    public void Devices_listen_before_vireo_starts_the_l1_command_runs_framed_once_the_api_socket_exists_and_everything_stops_after()
    {
        using var temp = new TempDirectory();
        string run = temp.Combine("run");
        string device = WriteExecutable(temp, "vireo-device", FakeDevice);
        string api = temp.Combine("api.sock");
        // vireo's stand-in: checks both servers listen, has the test open its API socket (a
        // shell cannot), then waits for the L1 command to finish before exiting 3.
        string vireo = WriteExecutable(temp, "vireo", $$"""
            #!/bin/sh
            echo "vireo $*"
            grep -q listening {{run}}/a.log && grep -q listening {{run}}/sample1.log && echo "vireo: both devices listen"
            touch {{run}}/vireo.started
            n=0; while [ ! -f {{run}}/l1.status ] && [ $n -lt 100 ]; do n=$((n+1)); sleep 0.1; done
            [ -f {{run}}/l1.status ] && echo "vireo: the l1 command finished first"
            exit 3
            """);
        using var apiSocket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        Task bind = Task.Run(async () =>
        {
            while (!File.Exists(Path.Combine(run, "vireo.started")))
            {
                await Task.Delay(50);
            }
            apiSocket.Bind(new UnixDomainSocketEndPoint(api));
        });
        SampleDeviceInL1[] devices = [new("a", run), new("sample1", run)];

        string script = L1RunScript.Build(
            [vireo, "run", "--vfio-user", devices[0].VireoRunOption, "--vfio-user", devices[1].VireoRunOption],
            input: null, devices, l1Command: "echo \"socket $VIREO_API_SOCKET\"\ncat \"$VIREO_LAB_RUN/a.pid\" >/dev/null && echo pid ok\nexit 4",
            apiSocket: api, runDirectory: run, deviceProgram: device);
        (int status, string output, _) = RunScript(script);
        bind.Wait();

        Assert.True(status == 3, output);
        Assert.True(output.Contains("[l1] exit 4\n", StringComparison.Ordinal), output);
        Assert.Contains($"[vireo-device a] listening on {run}/a.sock\n", output, StringComparison.Ordinal);
        Assert.Contains($"[vireo-device sample1] listening on {run}/sample1.sock\n", output, StringComparison.Ordinal);
        Assert.Contains($"vireo run --vfio-user {run}/a.sock,id=a --vfio-user {run}/sample1.sock,id=sample1\n", output, StringComparison.Ordinal);
        Assert.Contains("vireo: both devices listen\n", output, StringComparison.Ordinal);
        Assert.Contains("[l1] $ echo \"socket $VIREO_API_SOCKET\"\n[l1] $ cat", output, StringComparison.Ordinal);
        Assert.Contains($"[l1] socket {api}\n", output, StringComparison.Ordinal);
        Assert.Contains("[l1] pid ok\n", output, StringComparison.Ordinal);
        Assert.Contains("[l1] exit 4\n", output, StringComparison.Ordinal);
        // The command ran while vireo did, and the servers were stopped after both.
        Assert.Contains("vireo: the l1 command finished first\n", output, StringComparison.Ordinal);
        Assert.Contains($"[vireo-device a] stopped {run}/a.sock\n", output, StringComparison.Ordinal);
        Assert.Contains($"[vireo-device sample1] stopped {run}/sample1.sock\n", output, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(run, "*.pid"));
    }

    [LabFact("busybox")]
    public void A_device_that_never_listens_fails_the_run_before_vireo_starts()
    {
        using var temp = new TempDirectory();
        string run = temp.Combine("run");
        string device = WriteExecutable(temp, "vireo-device", "#!/bin/sh\necho \"no such socket dir\"\nexit 1");
        string vireo = WriteExecutable(temp, "vireo", "#!/bin/sh\necho vireo ran");

        (int status, string output, _) = RunScript(L1RunScript.Build([vireo], null, [new("d", run)], null, null, run, device));

        Assert.True(status == 1, output);
        Assert.Contains("[vireo-device d] no such socket dir\n", output, StringComparison.Ordinal);
        Assert.Contains($"vireo-lab: vireo-device d did not start listening on {run}/d.sock\n", output, StringComparison.Ordinal);
        Assert.DoesNotContain("vireo ran", output, StringComparison.Ordinal);
    }

    [LabFact("busybox")]
    public void An_l1_command_still_running_after_vireo_exits_is_stopped_with_its_children()
    {
        using var temp = new TempDirectory();
        string run = temp.Combine("run");
        string api = temp.Combine("api.sock");
        using var apiSocket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        string vireo = WriteExecutable(temp, "vireo", $$"""
            #!/bin/sh
            touch {{run}}/vireo.started
            n=0; while [ ! -f {{run}}/child ] && [ $n -lt 100 ]; do n=$((n+1)); sleep 0.1; done
            exit 0
            """);
        Task bind = Task.Run(async () =>
        {
            while (!File.Exists(Path.Combine(run, "vireo.started")))
            {
                await Task.Delay(50);
            }
            apiSocket.Bind(new UnixDomainSocketEndPoint(api));
        });

        (int status, string output, TimeSpan took) = RunScript(L1RunScript.Build(
            [vireo], null, [], "sleep 60 & echo $! >\"$VIREO_LAB_RUN/child\"; wait", api, run));
        bind.Wait();

        Assert.True(status == 0, output);
        Assert.Contains($"[l1] still running {L1RunScript.L1CommandGraceSeconds} s after vireo exited: stopped\n", output, StringComparison.Ordinal);
        Assert.True(took < TimeSpan.FromSeconds(30), $"took {took}");
        string child = File.ReadAllText(Path.Combine(run, "child")).Trim();
        // Gone, or a zombie waiting for a reaper: either way no longer running.
        string stat = File.Exists($"/proc/{child}/stat") ? File.ReadAllText($"/proc/{child}/stat") : "";
        Assert.True(stat.Length == 0 || stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z'), stat);
    }

    [LabFact("busybox")]
    public void An_l1_command_does_not_run_when_vireo_exits_before_its_api_socket_appears()
    {
        using var temp = new TempDirectory();
        string run = temp.Combine("run");
        string vireo = WriteExecutable(temp, "vireo", "#!/bin/sh\necho \"vireo: unknown option\"\nexit 2");

        (int status, string output, TimeSpan took) = RunScript(L1RunScript.Build(
            [vireo], null, [], "echo ran", temp.Combine("api.sock"), run));

        Assert.True(status == 2, output);
        Assert.Contains($"[l1] vireo exited before its API socket {temp.Combine("api.sock")} appeared: the command did not run\n", output, StringComparison.Ordinal);
        Assert.DoesNotContain("[l1] ran", output, StringComparison.Ordinal);
        Assert.DoesNotContain("still running", output, StringComparison.Ordinal);
        Assert.True(took < TimeSpan.FromSeconds(L1RunScript.L1CommandGraceSeconds), $"took {took}");
    }
}
