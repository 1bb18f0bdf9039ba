using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace Vireo.Api.Http;

/// <summary>An answer as <see cref="ApiClient"/> reads it: the status, and the body as a stream
/// that owns the connection.</summary>
internal sealed class ApiResponse : IDisposable
{
    // Far more than this server's heads; a peer that sends more is not this server.
    private const int MaxHeadBytes = 16 * 1024;

    private ApiResponse(int statusCode, string reason, Stream body)
    {
        StatusCode = statusCode;
        Reason = reason;
        Body = body;
    }

    public int StatusCode { get; }

    public string Reason { get; }

    public bool IsSuccess => StatusCode is >= 200 and < 300;

    public Stream Body { get; }

    /// <summary>Reads an answer's head from <paramref name="connection"/>; the returned answer owns it.
    /// A head that is not HTTP/1.x is an <see cref="IOException"/>.</summary>
    public static async Task<ApiResponse> ReadAsync(Stream connection, CancellationToken cancellationToken)
    {
        // Plus room for a chunk line after a full head.
        byte[] buffer = new byte[MaxHeadBytes + 512];
        int end = 0;
        while (true)
        {
            int headEnd = buffer.AsSpan(0, end).IndexOf("\r\n\r\n"u8);
            if (headEnd >= 0)
            {
                (int status, string reason, bool chunked, long? length) = ParseHead(buffer.AsSpan(0, headEnd + 2));
                int bodyStart = headEnd + 4;
                if (status is >= 100 and < 200)
                {
                    // An interim answer (100 Continue): the real one follows.
                    buffer.AsSpan(bodyStart, end - bodyStart).CopyTo(buffer);
                    end -= bodyStart;
                    continue;
                }
                bool empty = status is 204 or 304;
                var body = new ResponseBodyStream(connection, buffer, bodyStart, end, chunked && !empty, empty ? 0 : length);
                return new ApiResponse(status, reason, body);
            }
            if (end >= MaxHeadBytes)
            {
                throw new IOException($"the answer's head is longer than {MaxHeadBytes} bytes");
            }
            int read = await connection.ReadAsync(buffer.AsMemory(end, MaxHeadBytes - end), cancellationToken);
            if (read == 0)
            {
                throw new IOException(end == 0 ? "the server closed the connection without answering" : "the connection closed inside the answer's head");
            }
            end += read;
        }
    }

    /// <summary>The whole body as text, at most <paramref name="limit"/> bytes.</summary>
    public async Task<string> ReadBodyAsync(int limit, CancellationToken cancellationToken)
    {
        var text = new ArrayBufferWriter<byte>(1024);
        while (true)
        {
            int read = await Body.ReadAsync(text.GetMemory(4096), cancellationToken);
            if (read == 0)
            {
                return Encoding.UTF8.GetString(text.WrittenSpan);
            }
            text.Advance(read);
            if (text.WrittenCount > limit)
            {
                throw new IOException($"the answer is longer than {limit} bytes");
            }
        }
    }

    public void Dispose() => Body.Dispose();

    private static (int Status, string Reason, bool Chunked, long? Length) ParseHead(ReadOnlySpan<byte> head)
    {
        int lineEnd = head.IndexOf("\r\n"u8);
        ReadOnlySpan<byte> statusLine = head[..lineEnd];
        // HTTP-version SP 3DIGIT SP reason (RFC 9112 §4).
        if (statusLine.Length < 12 || !statusLine.StartsWith("HTTP/1."u8) || statusLine[8] != (byte)' '
            || !Utf8Parser.TryParse(statusLine.Slice(9, 3), out int status, out int consumed) || consumed != 3
            || (statusLine.Length > 12 && statusLine[12] != (byte)' '))
        {
            throw new IOException("the answer is not HTTP/1.1");
        }
        string reason = statusLine.Length > 13 ? Encoding.ASCII.GetString(statusLine[13..]) : "";
        bool chunked = false;
        long? length = null;
        for (ReadOnlySpan<byte> rest = head[(lineEnd + 2)..]; !rest.IsEmpty;)
        {
            int end = rest.IndexOf("\r\n"u8);
            ReadOnlySpan<byte> line = rest[..end];
            rest = rest[(end + 2)..];
            int colon = line.IndexOf((byte)':');
            if (colon <= 0)
            {
                throw new IOException("the answer has a malformed header");
            }
            ReadOnlySpan<byte> name = line[..colon];
            ReadOnlySpan<byte> value = line[(colon + 1)..].Trim(" \t"u8);
            if (Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8))
            {
                chunked = Ascii.EqualsIgnoreCase(value, "chunked"u8)
                    ? true
                    : throw new IOException("the answer has a Transfer-Encoding other than chunked");
            }
            else if (Ascii.EqualsIgnoreCase(name, "Content-Length"u8))
            {
                length = Utf8Parser.TryParse(value, out long parsed, out int used) && used == value.Length && parsed >= 0
                    ? parsed
                    : throw new IOException("the answer has a malformed Content-Length");
            }
        }
        return (status, reason, chunked, chunked ? null : length);
    }
}
