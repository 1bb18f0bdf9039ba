using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Vireo.Api;

namespace Vireo.Api.Tests;

/// <summary>The parser's hostile inputs over the real socket: each gets its 4xx (or a quiet close)
/// and the server goes on serving everyone else.</summary>
public sealed class HostileClientTests
{
    private static readonly ApiServerOptions s_quick = new()
    {
        RequestTimeout = TimeSpan.FromMilliseconds(500),
        KeepAliveTimeout = TimeSpan.FromMilliseconds(500),
    };

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task APeerThatLiesAboutContentLengthAndFallsSilentGets408()
    {
        await using TestApi api = await TestApi.StartAsync(s_quick);

        string output = await RawHttp.ReadToCloseAsync(api.SocketPath,
            "PUT /api/v1/vm.gpe HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"gpe\": 3}");

        (int status, string body) = Assert.Single(TestConnection.Answers(output));
        Assert.Equal(408, status);
        Assert.Contains("not complete within 0.5 s", TestApi.ErrorOf(body));
        Assert.Empty(api.Vm.Calls);
        Assert.NotNull(await api.Client.GetInfoAsync());
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task APeerThatSendsAnEndlessHeaderGets431AndOthersAreServedMeanwhile()
    {
        await using TestApi api = await TestApi.StartAsync();
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(api.SocketPath));
        await socket.SendAsync("GET /api/v1/vmm.ping HTTP/1.1\r\nHost: x\r\n"u8.ToArray());
        byte[] line = Encoding.ASCII.GetBytes("X-Endless: " + new string('a', 1000) + "\r\n");
        long sent = 0;
        try
        {
            // Until the server answers and closes; it must not need more than its limit.
            while (sent < 1024 * 1024)
            {
                await socket.SendAsync(line);
                sent += line.Length;
                if (sent == line.Length * 4)
                {
                    Assert.NotNull(await api.Client.PingAsync());
                }
            }
        }
        catch (SocketException)
        {
            // The server closed the connection under the sender.
        }
        var received = new MemoryStream();
        byte[] buffer = new byte[4096];
        using var cts = new CancellationTokenSource(TestApi.Timeout);
        try
        {
            int n;
            while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token)) > 0)
            {
                received.Write(buffer, 0, n);
            }
        }
        catch (SocketException)
        {
            // A reset after the answer, since the server stopped reading: the answer came first.
        }

        (int status, string body) = Assert.Single(TestConnection.Answers(Encoding.Latin1.GetString(received.ToArray())));
        Assert.Equal(431, status);
        Assert.Contains("longer than 16384 bytes", TestApi.ErrorOf(body));
        Assert.NotNull(await api.Client.PingAsync());
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task APeerThatConnectsAndGoesSilentIsClosed()
    {
        await using TestApi api = await TestApi.StartAsync(s_quick);
        var clock = Stopwatch.StartNew();

        string output = await RawHttp.ReadToCloseAsync(api.SocketPath, "");

        Assert.Empty(output);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"closed after {clock.Elapsed}");
        Assert.NotNull(await api.Client.GetInfoAsync());
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task AChunkSizeOf2To64Is400()
    {
        await using TestApi api = await TestApi.StartAsync();

        (int status, string body) = await RawHttp.ExchangeAsync(api.SocketPath,
            "PUT /api/v1/vm.gpe HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n{\"gpe\": 3}\r\n0\r\n\r\n");

        Assert.Equal(400, status);
        Assert.Equal("the chunked request body of PUT /api/v1/vm.gpe is malformed: a chunk size overflows 64 bits", TestApi.ErrorOf(body));
        Assert.Empty(api.Vm.Calls);
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task PipelinedRequestsAreAnsweredInOrderOverTheSocket()
    {
        await using TestApi api = await TestApi.StartAsync();

        string output = await RawHttp.ReadToCloseAsync(api.SocketPath,
            "PUT /api/v1/vm.gpe HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{\"gpe\": 3}" +
            "PUT /api/v1/vm.pause HTTP/1.1\r\nHost: x\r\n\r\n" +
            "GET /api/v1/vm.nope HTTP/1.1\r\nHost: x\r\n\r\n" +
            "PUT /api/v1/vm.resume HTTP/1.0\r\n\r\n");

        List<(int Status, string Body)> answers = TestConnection.Answers(output);
        Assert.Equal([204, 204, 404, 204], answers.Select(a => a.Status));
        Assert.Equal(["gpe 3", "pause", "resume"], api.Vm.Calls);
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task AnHttp10ClientIsServed()
    {
        await using TestApi api = await TestApi.StartAsync();

        string output = await RawHttp.ReadToCloseAsync(api.SocketPath, "GET /api/v1/vmm.ping HTTP/1.0\r\n\r\n");

        (int status, string body) = Assert.Single(TestConnection.Answers(output));
        Assert.Equal(200, status);
        Assert.Contains($"\"pid\":{Environment.ProcessId}", body);
    }
}
