using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Vireo.Api;

namespace Vireo.Api.Tests;

/// <summary>Idle or stalled clients cannot lock the management API out.</summary>
public sealed class ConnectionLimitTests
{
    private static readonly TimeSpan s_prompt = TimeSpan.FromSeconds(3);

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task PingSucceedsPromptlyWithAHundredIdleConnectionsOpen()
    {
        await using TestApi api = await TestApi.StartAsync();
        var idle = new List<Socket>();
        try
        {
            for (int i = 0; i < 100; i++)
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                idle.Add(socket);
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(api.SocketPath));
                if (i % 2 == 0)
                {
                    // Half of them stall inside a request header, the rest send nothing at all.
                    await socket.SendAsync(Encoding.ASCII.GetBytes("GET /api/v1/vmm.ping HTTP/1.1\r\nHost: x\r\nX-Slow"));
                }
            }
            await Task.Delay(200); // let the server accept them all

            var clock = Stopwatch.StartNew();
            using var client = new ApiClient(api.SocketPath, s_prompt);
            ApiPing ping = await client.PingAsync();

            Assert.Equal(Environment.ProcessId, ping.Pid);
            Assert.True(clock.Elapsed < s_prompt, $"ping took {clock.Elapsed}");
        }
        finally
        {
            idle.ForEach(s => s.Dispose());
        }
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task EventStreamsAreNotCutToMakeRoomForNewConnections()
    {
        await using TestApi api = await TestApi.StartAsync(new ApiServerOptions { MaxConnections = 4 });
        using var cts = new CancellationTokenSource(TestApi.Timeout);
        var streams = new List<ApiEventStream>();
        var idle = new List<Socket>();
        try
        {
            // Three event streams stay busy; the one slot left is shared by everything else.
            for (int i = 0; i < 3; i++)
            {
                streams.Add(await api.Client.OpenEventsAsync(cts.Token));
            }
            for (int i = 0; i < 10; i++)
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                idle.Add(socket);
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(api.SocketPath), cts.Token);
            }
            await Task.Delay(200, cts.Token);

            using var client = new ApiClient(api.SocketPath, s_prompt);
            Assert.Equal(Environment.ProcessId, (await client.PingAsync(cts.Token)).Pid);
            api.Vm.Events.Publish("still-here");
            foreach (ApiEventStream stream in streams)
            {
                await using IAsyncEnumerator<VmEvent> events = stream.ReadEventsAsync(cts.Token).GetAsyncEnumerator(cts.Token);
                Assert.True(await events.MoveNextAsync());
                Assert.Equal("still-here", events.Current.Event);
            }
        }
        finally
        {
            idle.ForEach(s => s.Dispose());
            streams.ForEach(s => s.Dispose());
        }
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task WhenEveryConnectionIsBusyANewOneIsToldSoAndTheStreamsGoOn()
    {
        await using TestApi api = await TestApi.StartAsync(new ApiServerOptions { MaxConnections = 2 });
        using var cts = new CancellationTokenSource(TestApi.Timeout);
        using ApiEventStream first = await api.Client.OpenEventsAsync(cts.Token);
        using ApiEventStream second = await api.Client.OpenEventsAsync(cts.Token);

        // The server answers a refused connection at once, before any request: sending one could
        // race with its close.
        (int status, string body) = await RawHttp.ExchangeAsync(api.SocketPath, "");

        Assert.Equal(503, status);
        Assert.Contains("serving 2 API requests at once", TestApi.ErrorOf(body));
        api.Vm.Events.Publish("still-here");
        await using IAsyncEnumerator<VmEvent> events = first.ReadEventsAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        Assert.True(await events.MoveNextAsync());
        Assert.Equal("still-here", events.Current.Event);
    }
}
