using System.Net.Sockets;
using System.Text;

namespace Vireo.Api.Tests;

/// <summary>HTTP/1.1 written by hand, for requests no HttpClient will send (a chunk size that
/// overflows, a header that never ends).</summary>
internal static class RawHttp
{
    /// <summary>Sends <paramref name="request"/> (if not empty) as Latin-1 bytes and reads the answer until the
    /// server closes or a complete Content-Length body arrived; returns the status and body.</summary>
    public static async Task<(int Status, string Body)> ExchangeAsync(string socketPath, string request)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath));
        if (request.Length > 0)
        {
            await socket.SendAsync(Encoding.Latin1.GetBytes(request));
        }
        using var cts = new CancellationTokenSource(TestApi.Timeout);
        var received = new MemoryStream();
        byte[] buffer = new byte[4096];
        while (true)
        {
            int n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            if (n == 0)
            {
                break;
            }
            received.Write(buffer, 0, n);
            if (TryParse(Encoding.Latin1.GetString(received.ToArray()), out int status, out string? body))
            {
                return (status, body!);
            }
        }
        string text = Encoding.Latin1.GetString(received.ToArray());
        Assert.True(TryParse(text, out int finalStatus, out string? finalBody), $"no complete HTTP answer: {text}");
        return (finalStatus, finalBody!);
    }

    /// <summary>Connects, sends <paramref name="request"/> (if not empty) and returns everything the
    /// server writes until it closes the connection.</summary>
    public static async Task<string> ReadToCloseAsync(string socketPath, string request)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath));
        if (request.Length > 0)
        {
            await socket.SendAsync(Encoding.Latin1.GetBytes(request));
        }
        using var cts = new CancellationTokenSource(TestApi.Timeout);
        var received = new MemoryStream();
        byte[] buffer = new byte[4096];
        int n;
        while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token)) > 0)
        {
            received.Write(buffer, 0, n);
        }
        return Encoding.Latin1.GetString(received.ToArray());
    }

    private static bool TryParse(string text, out int status, out string? body)
    {
        status = 0;
        body = null;
        int headerEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (headerEnd < 0)
        {
            return false;
        }
        string[] lines = text[..headerEnd].Split("\r\n");
        status = int.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        string? length = lines.Skip(1)
            .Select(l => l.Split(':', 2))
            .Where(p => p.Length == 2 && p[0].Trim().Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            .Select(p => p[1].Trim())
            .FirstOrDefault();
        string rest = text[(headerEnd + 4)..];
        if (length is null || rest.Length < int.Parse(length, System.Globalization.CultureInfo.InvariantCulture))
        {
            return false;
        }
        body = rest[..int.Parse(length, System.Globalization.CultureInfo.InvariantCulture)];
        return true;
    }
}
