using System.Text;
using Vireo.Api.Http;

namespace Vireo.Api.Tests;

/// <summary>An <see cref="HttpConnection"/> over an in-memory pipe, with a tiny route table: the
/// parser's and the connection's behaviour without a socket.</summary>
internal sealed class TestConnection
{
    /// <summary>A 1 KiB body limit; timeouts long enough not to fire on a loaded machine.</summary>
    public static readonly HttpLimits Limits = new()
    {
        MaxBodyBytes = 1024,
        RequestTimeout = TimeSpan.FromSeconds(5),
        KeepAliveTimeout = TimeSpan.FromSeconds(5),
        LingerTimeout = TimeSpan.FromMilliseconds(200),
    };

    /// <summary>For the tests of the timeouts themselves.</summary>
    public static readonly HttpLimits QuickTimeouts = Limits with
    {
        RequestTimeout = TimeSpan.FromMilliseconds(300),
        KeepAliveTimeout = TimeSpan.FromMilliseconds(300),
    };

    private readonly DuplexPipe _pipe = new();

    public TestConnection(HttpLimits? limits = null, int maxConnections = 4)
    {
        Router = new ApiRouter(Log);
        // PUT /echo answers with the body it got; GET /ping with "pong".
        Router.MapPut("/echo", exchange =>
        {
            exchange.Respond(HttpStatus.Ok, "text/plain", exchange.Body.ToArray());
            return Task.CompletedTask;
        });
        Router.MapGet("/ping", exchange =>
        {
            exchange.Respond(HttpStatus.Ok, "text/plain", "pong"u8.ToArray());
            return Task.CompletedTask;
        });
        Slots = new ConnectionSlots(maxConnections);
        Connection = new HttpConnection(_pipe.Server, limits ?? Limits, Router, Slots, Log);
        Assert.True(Slots.TryAdmit(Connection, out _));
        Connection.Start();
    }

    public StringWriter Log { get; } = new();

    public ApiRouter Router { get; }

    public ConnectionSlots Slots { get; }

    public HttpConnection Connection { get; }

    public Stream Client => _pipe.Client;

    public void CloseSend() => _pipe.CloseClientSend();

    public async Task SendAsync(string text) => await Client.WriteAsync(Encoding.Latin1.GetBytes(text));

    /// <summary>Everything the server writes until it closes the connection.</summary>
    public async Task<string> ReadToCloseAsync()
    {
        using var cts = new CancellationTokenSource(TestApi.Timeout);
        var received = new MemoryStream();
        byte[] buffer = new byte[4096];
        int n;
        while ((n = await Client.ReadAsync(buffer, cts.Token)) > 0)
        {
            received.Write(buffer, 0, n);
        }
        return Encoding.Latin1.GetString(received.ToArray());
    }

    /// <summary>The server closed, its task ended without an exception and left its slot.</summary>
    public async Task AssertEndedCleanlyAsync()
    {
        await Connection.Completion.WaitAsync(TestApi.Timeout);
        Assert.True(Connection.Completion.IsCompletedSuccessfully);
        Assert.Equal(0, Slots.Count);
        Assert.DoesNotContain("   at ", Log.ToString());
    }

    /// <summary>The answers in <paramref name="text"/>: status and body of each, in order.</summary>
    public static List<(int Status, string Body)> Answers(string text)
    {
        var answers = new List<(int, string)>();
        while (text.Length > 0)
        {
            int headEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            Assert.True(headEnd >= 0, $"an incomplete answer: {text}");
            string[] lines = text[..headEnd].Split("\r\n");
            int status = int.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
            string? length = lines.Skip(1).Select(l => l.Split(':', 2))
                .Where(p => p[0].Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                .Select(p => p[1].Trim()).FirstOrDefault();
            int bodyLength = length is null ? 0 : int.Parse(length, System.Globalization.CultureInfo.InvariantCulture);
            answers.Add((status, text.Substring(headEnd + 4, bodyLength)));
            text = text[(headEnd + 4 + bodyLength)..];
        }
        return answers;
    }
}
