using System.Diagnostics;
using Vireo.Agent;
using Vireo.Sys;
using Vireo.TestSupport;

namespace Vireo.Cli.Tests;

/// <summary>`vireo agent` as a process: it serves a fake host (sysfs and /dev trees, plain files
/// for the nodes) to a client, grants and refuses by its policy, logs both, and ends cleanly on
/// SIGTERM with its socket removed.</summary>
public sealed class AgentCommandTests : IDisposable
{
    private readonly FakeSysfs _sys = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("vireo-agent-cli-").FullName;

    public void Dispose()
    {
        _sys.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task The_agent_grants_by_policy_refuses_the_rest_logs_both_and_stops_on_sigterm()
    {
        _sys.Add("0000:00:03.0", "vfio-pci", group: 3)
            .Add("0000:00:04.0", "vfio-pci", group: 4).Add("0000:00:04.1", "e1000", group: 4)
            .Node("vfio/vfio").Node("vfio/3").Node("vfio/4");
        File.WriteAllText(Path.Combine(_sys.DevRoot, "vfio", "3"), "group 3");
        string policy = Path.Combine(_dir, "policy.json");
        uint uid = ThisProcess.EffectiveUid();
        File.WriteAllText(policy, $$"""{"grants":[{"uid":{{uid}},"vm":"web","groups":[3,4]}]}""");
        string socket = Path.Combine(_dir, "agent.sock");
        using Process agent = Start("agent", "--policy", policy, "--socket", socket, "--sysfs-root", _sys.Root, "--dev-root", _sys.DevRoot);
        Task<string> stderr = agent.StandardError.ReadToEndAsync();
        string? ready = await agent.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal($"serving {socket} (1 grant from {policy})", ready);

        using (AgentGrant grant = AgentClient.Request(socket, new AgentRequest("web", "00:03.0")))
        {
            Assert.Equal("group", grant.Opened.Backend);
            Assert.Equal("group 3", ThisProcess.ReadText(grant.Opened.Fd("group")));
        }
        var wrongVm = Assert.Throws<AgentRefusedException>(() => AgentClient.Request(socket, new AgentRequest("db", "00:03.0")));
        var notViable = Assert.Throws<AgentRefusedException>(() => AgentClient.Request(socket, new AgentRequest("web", "0000:00:04.0")));
        Assert.Contains("no grant for uid", wrongVm.Message);
        Assert.Contains("0000:00:04.1", notViable.Message);

        using (Process kill = Process.Start("kill", ["-TERM", agent.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }
        await agent.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, agent.ExitCode);
        Assert.False(File.Exists(socket));
        string log = await stderr;
        Assert.Contains($"granted 0000:00:03.0 (IOMMU group 3, group backend) for VM 'web'", log);
        Assert.Contains("refused 00:03.0 for VM 'db'", log);
        Assert.Contains("refused 0000:00:04.0 for VM 'web'", log);
    }

    [Theory]
    [InlineData("""{"grants":[{"uid":1}]}""", "grants nothing")]
    [InlineData("not json", "is not valid JSON")]
    public async Task A_bad_policy_is_one_line_and_status_1(string json, string expected)
    {
        string policy = Path.Combine(_dir, "bad.json");
        File.WriteAllText(policy, json);
        using Process agent = Start("agent", "--policy", policy, "--socket", Path.Combine(_dir, "never.sock"));
        string stderr = await agent.StandardError.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(60));
        await agent.WaitForExitAsync();

        Assert.Equal(1, agent.ExitCode);
        Assert.StartsWith("vireo: ", stderr);
        Assert.Contains(expected, stderr);
        Assert.Single(stderr.TrimEnd().Split('\n'));
    }

    [Fact]
    public async Task Help_explains_the_policy_and_the_missing_options_are_usage_errors()
    {
        var stdout = new StringWriter();
        Assert.Equal(0, await CommandLine.RunAsync(["agent", "--help"], stdout, new StringWriter()));
        Assert.Contains("\"grants\"", stdout.ToString());
        Assert.Contains("--socket-mode", stdout.ToString());
        Assert.DoesNotContain("--sysfs-root", stdout.ToString());

        var stderr = new StringWriter();
        Assert.Equal(2, await CommandLine.RunAsync(["agent", "--socket", "/tmp/x"], new StringWriter(), stderr));
        Assert.Contains("--policy", stderr.ToString());
    }

    private static Process Start(params string[] args) => ChildProgram.Start("vireo.dll", args);

}
