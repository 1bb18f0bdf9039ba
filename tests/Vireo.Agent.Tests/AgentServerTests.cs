using System.Text;
using Vireo.Sys;
using Vireo.TestSupport;

namespace Vireo.Agent.Tests;

/// <summary>The agent and its client over a real UNIX socket, with a fake device source: grants
/// carry the very descriptors, refusals are logged on both sides, and hostile peers (silent,
/// slow, oversized, descriptor-stuffing, flooding) cost the agent nothing lasting.</summary>
[Collection(SerialCollection.Name)]
public sealed class AgentServerTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"vireo-agent-{Guid.NewGuid():N}.sock");
    private readonly StringWriter _log = new();
    private readonly FakeDeviceSource _source = new();
    private readonly uint _uid = ThisProcess.EffectiveUid();
    private AgentServer? _server;

    public void Dispose()
    {
        _server?.Dispose();
        File.Delete(_path);
    }

    [Fact]
    public void A_granted_request_gets_the_agents_own_descriptors_and_both_sides_say_so()
    {
        Start($$"""{"grants":[{"uid":{{_uid}},"vm":"web","devices":["0000:00:03.0"]}]}""");

        using AgentGrant grant = AgentClient.Request(_path, new AgentRequest("web", "00:03.0"));

        Assert.Equal("0000:00:03.0", grant.Device);
        Assert.Equal(3, grant.Group);
        Assert.Equal("group", grant.Opened.Backend);
        Assert.Equal("0000:00:03.0/container", ThisProcess.ReadText(grant.Opened.Fd("container")));
        Assert.Equal("0000:00:03.0/device", ThisProcess.ReadText(grant.Opened.Fd("device")));
        // The agent logs a grant once its reply is sent, so possibly after the client has it.
        WaitFor(() => Log().Contains($"uid {_uid} (pid {Environment.ProcessId}): granted 0000:00:03.0 (IOMMU group 3, group backend) for VM 'web'", StringComparison.Ordinal));
        Assert.Equal(1, _server!.Granted);
    }

    [Fact]
    public void A_request_outside_the_policy_is_refused_with_the_same_reason_on_both_sides()
    {
        Start($$"""{"grants":[{"uid":{{_uid}},"vm":"web","devices":["0000:00:03.0"]}]}""");

        var e = Assert.Throws<AgentRefusedException>(() => AgentClient.Request(_path, new AgentRequest("db", "0000:00:03.0")));

        Assert.Contains("the device agent refused device 0000:00:03.0", e.Message);
        Assert.Contains($"no grant for uid {_uid} running VM 'db'", e.Message);
        Assert.Contains($"refused 0000:00:03.0 for VM 'db': the policy has no grant for uid {_uid} running VM 'db'", Log());
        Assert.Equal(0, _source.Opened);
    }

    [Fact]
    public void A_group_shared_with_an_ungranted_device_is_never_opened()
    {
        Start($$"""{"grants":[{"uid":{{_uid}},"devices":["0000:00:04.0"]}]}""");

        var e = Assert.Throws<AgentRefusedException>(() => AgentClient.Request(_path, new AgentRequest("web", "0000:00:04.0")));

        Assert.Contains("0000:00:04.1", e.Message);
        Assert.Equal(0, _source.Opened);
    }

    [Fact]
    public void A_non_viable_group_and_an_unknown_device_are_refused_with_the_sources_reason()
    {
        Start($$"""{"grants":[{"uid":{{_uid}},"groups":[3]}]}""");
        _source.NotViable = "0000:00:03.1";

        var notViable = Assert.Throws<AgentRefusedException>(() => AgentClient.Request(_path, new AgentRequest("web", "0000:00:03.0")));
        var unknown = Assert.Throws<AgentRefusedException>(() => AgentClient.Request(_path, new AgentRequest("web", "0000:00:09.0")));

        Assert.Contains("not viable: 0000:00:03.1 is bound to e1000", notViable.Message);
        Assert.Contains("no PCI device 0000:00:09.0", unknown.Message);
        Assert.Equal(2, _server!.Refused);
    }

    [Fact]
    public void A_silent_peer_is_closed_after_the_request_timeout_and_others_are_served_meanwhile()
    {
        Start($$"""{"grants":[{"uid":{{_uid}},"groups":[3]}]}""", TimeSpan.FromMilliseconds(500));
        using UnixSocket silent = UnixSocket.Connect(_path);
        using UnixSocket partial = UnixSocket.Connect(_path);
        partial.Send("{\"vm\":\"web\","u8);

        using (AgentGrant grant = AgentClient.Request(_path, new AgentRequest("web", "0000:00:03.0")))
        {
            Assert.Equal(3, grant.Group);
        }

        // Both get a refusal line and then end of stream.
        Assert.Contains("nothing arrived within 0.5 s", ReadToEnd(silent));
        Assert.Contains("only 12 bytes of a line arrived within 0.5 s", ReadToEnd(partial));
    }

    [Fact]
    public void An_oversized_or_two_line_request_is_refused_and_descriptors_sent_with_it_do_not_stay_in_the_agent()
    {
        Start($$"""{"grants":[{"uid":{{_uid}},"groups":[3]}]}""");
        int before = ThisProcess.OpenDescriptors();

        using (UnixSocket huge = UnixSocket.Connect(_path))
        {
            byte[] big = new byte[AgentRequest.MaxBytes + 100];
            big.AsSpan().Fill((byte)'a');
            huge.Send(big);
            Assert.Contains("longer than 4096 bytes", ReadToEnd(huge));
        }
        using (UnixSocket two = UnixSocket.Connect(_path))
        {
            using EventFd e1 = EventFd.Create();
            using EventFd e2 = EventFd.Create();
            two.Send("{\"vm\":\"a\",\"device\":\"00:03.0\"}\n{}\n"u8, [e1.Handle, e2.Handle]);
            Assert.Contains("descriptors came with the line, and none belong there", ReadToEnd(two));
        }

        using (UnixSocket two = UnixSocket.Connect(_path))
        {
            two.Send("{\"vm\":\"a\",\"device\":\"00:03.0\"}\n{}\n"u8);
            Assert.Contains("more than one line", ReadToEnd(two));
        }

        WaitFor(() => _server!.Refused == 3);
        // The agent closes each connection just after its refusal: wait for that, not for ever.
        WaitFor(() => ThisProcess.OpenDescriptors() == before);
    }

    [Fact]
    public void A_flood_of_connections_gets_busy_refusals_and_the_agent_serves_again_afterwards()
    {
        Start($$"""{"grants":[{"uid":{{_uid}},"groups":[3]}]}""", TimeSpan.FromMilliseconds(800));
        var silent = new List<UnixSocket>();
        try
        {
            for (int i = 0; i < AgentServer.MaxConnections + 4; i++)
            {
                silent.Add(UnixSocket.Connect(_path));
            }
            WaitFor(() => Log().Contains("busy", StringComparison.Ordinal));
        }
        finally
        {
            silent.ForEach(s => s.Dispose());
        }

        WaitFor(() => _server!.Refused >= AgentServer.MaxConnections + 4);
        using AgentGrant grant = AgentClient.Request(_path, new AgentRequest("web", "0000:00:03.0"));
        Assert.Equal(3, grant.Group);
    }

    [Fact]
    public void The_socket_is_created_connectable_by_every_user_and_removed_at_dispose()
    {
        Start("""{"grants":[{"uid":0,"groups":[3]}]}""");

        Assert.Equal((UnixFileMode)0x1b6, File.GetUnixFileMode(_path) & (UnixFileMode)0x1ff);
        _server!.Dispose();
        Assert.False(File.Exists(_path));
    }

    private void Start(string policy, TimeSpan? timeout = null)
        => _server = AgentServer.Start(_path, AgentPolicy.Parse(policy), _source, _log, requestTimeout: timeout);

    private string Log()
    {
        lock (_log)
        {
            return _log.ToString();
        }
    }

    private static string ReadToEnd(UnixSocket socket)
    {
        var text = new StringBuilder();
        byte[] buffer = new byte[4096];
        while (Poller.WaitReadable(socket.Handle, TimeSpan.FromSeconds(10)))
        {
            int n = socket.Receive(buffer, null, 0, out _);
            if (n == 0)
            {
                break;
            }
            text.Append(Encoding.UTF8.GetString(buffer, 0, n));
        }
        return text.ToString();
    }

    private static void WaitFor(Func<bool> condition)
    {
        long deadline = Environment.TickCount64 + 10_000;
        while (!condition())
        {
            Assert.True(Environment.TickCount64 < deadline, "the condition did not hold within 10 s");
            Thread.Sleep(20);
        }
    }
}
