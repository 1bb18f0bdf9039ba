using Vireo.Sys;
using Vireo.TestSupport;

namespace Vireo.Agent.Tests;

/// <summary>The VMM's side against agents that misbehave: silent, lying about descriptors,
/// sending garbage or too many descriptors. Each is one clear error and leaks nothing.</summary>
[Collection(SerialCollection.Name)]
public sealed class AgentClientTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"vireo-fake-agent-{Guid.NewGuid():N}.sock");

    public void Dispose() => File.Delete(_path);

    [Fact]
    public void No_agent_at_the_path_says_so_and_names_the_command()
    {
        var e = Assert.Throws<AgentRefusedException>(() => AgentClient.Request(_path, new AgentRequest("web", "00:03.0")));

        Assert.Contains($"cannot reach the device agent at {_path}", e.Message);
        Assert.Contains("vireo agent", e.Message);
    }

    [Fact]
    public void A_silent_agent_times_out()
    {
        using UnixSocket listener = UnixSocket.Listen(_path);
        var e = Assert.Throws<AgentRefusedException>(() => AgentClient.Request(_path, new AgentRequest("web", "00:03.0"), TimeSpan.FromMilliseconds(300)));

        Assert.Contains("gave no usable answer for device 00:03.0: nothing arrived within 0.3 s", e.Message);
    }

    [Theory]
    [InlineData(1, "but 1 came with it")]
    [InlineData(3, "but 3 came with it")]
    [InlineData(6, "more than 4 descriptors")]
    public async Task A_grant_whose_descriptors_do_not_match_its_roles_is_refused_and_closes_them(int sent, string expected)
    {
        using UnixSocket listener = UnixSocket.Listen(_path);
        int before = ThisProcess.OpenDescriptors();
        var agent = Task.Run(() =>
        {
            using UnixSocket connection = listener.Accept();
            EventFd[] fds = [.. Enumerable.Range(0, sent).Select(_ => EventFd.Create())];
            try
            {
                connection.Send(new AgentReply(true, null, "0000:00:03.0", 3, "group", ["container", "device"], null).Encode(), [.. fds.Select(f => f.Handle)]);
                Thread.Sleep(200);
            }
            finally
            {
                foreach (EventFd fd in fds)
                {
                    fd.Dispose();
                }
            }
        });

        var e = Assert.Throws<AgentRefusedException>(() => AgentClient.Request(_path, new AgentRequest("web", "00:03.0")));
        await agent;

        Assert.Contains(expected, e.Message);
        Assert.Equal(before, ThisProcess.OpenDescriptors());
    }

    [Fact]
    public async Task Garbage_from_the_agent_is_a_clear_error()
    {
        using UnixSocket listener = UnixSocket.Listen(_path);
        var agent = Task.Run(() =>
        {
            using UnixSocket connection = listener.Accept();
            connection.Send("HTTP/1.1 200 OK\n"u8);
            Thread.Sleep(200);
        });

        var e = Assert.Throws<AgentRefusedException>(() => AgentClient.Request(_path, new AgentRequest("web", "00:03.0")));
        await agent;

        Assert.Contains("the agent's reply is not one", e.Message);
    }
}
