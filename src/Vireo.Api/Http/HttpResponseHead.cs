using System.Buffers;
using System.Text.Unicode;

namespace Vireo.Api.Http;

/// <summary>Writes a response's status line and headers (RFC 9112 §4, §6), without allocating.</summary>
internal static class HttpResponseHead
{
    /// <summary>How a response's body is framed.</summary>
    public enum Framing
    {
        /// <summary>Content-Length (omitted for 1xx and 204, which have no body).</summary>
        Length,

        /// <summary>Transfer-Encoding: chunked, for a stream to an HTTP/1.1 client.</summary>
        Chunked,

        /// <summary>Until the connection closes, for a stream to an HTTP/1.0 client.</summary>
        Close,
    }

    public static void Write(IBufferWriter<byte> output, int status, string? contentType, Framing framing, int contentLength,
        bool close, string? allow = null, bool noStore = false, int retryAfterSeconds = 0)
    {
        Commit(output, Utf8.TryWrite(output.GetSpan(MaxLine), $"HTTP/1.1 {status} {HttpStatus.Reason(status)}\r\nDate: {DateTime.UtcNow:R}\r\n", out int w1), w1);
        if (contentType is not null)
        {
            Commit(output, Utf8.TryWrite(output.GetSpan(MaxLine), $"Content-Type: {contentType}\r\n", out int w2), w2);
        }
        if (framing == Framing.Chunked)
        {
            output.Write("Transfer-Encoding: chunked\r\n"u8);
        }
        else if (framing == Framing.Length && status >= 200 && status != HttpStatus.NoContent)
        {
            Commit(output, Utf8.TryWrite(output.GetSpan(MaxLine), $"Content-Length: {contentLength}\r\n", out int w3), w3);
        }
        if (allow is not null)
        {
            Commit(output, Utf8.TryWrite(output.GetSpan(MaxLine), $"Allow: {allow}\r\n", out int w4), w4);
        }
        if (noStore)
        {
            output.Write("Cache-Control: no-store\r\n"u8);
        }
        if (retryAfterSeconds > 0)
        {
            Commit(output, Utf8.TryWrite(output.GetSpan(MaxLine), $"Retry-After: {retryAfterSeconds}\r\n", out int w5), w5);
        }
        if (close)
        {
            output.Write("Connection: close\r\n"u8);
        }
        output.Write("\r\n"u8);
    }

    /// <summary>A whole small answer: head and body.</summary>
    public static byte[] Whole(int status, string contentType, ReadOnlySpan<byte> body, int retryAfterSeconds = 0)
    {
        var output = new ArrayBufferWriter<byte>(256 + body.Length);
        Write(output, status, contentType, Framing.Length, body.Length, close: true, retryAfterSeconds: retryAfterSeconds);
        output.Write(body);
        return output.WrittenSpan.ToArray();
    }

    // Header lines this server writes are short; 512 bytes holds the longest (an Allow line).
    private const int MaxLine = 512;

    private static void Commit(IBufferWriter<byte> output, bool fitted, int written)
    {
        if (!fitted)
        {
            throw new InvalidOperationException($"a response header line is longer than {MaxLine} bytes");
        }
        output.Advance(written);
    }
}
