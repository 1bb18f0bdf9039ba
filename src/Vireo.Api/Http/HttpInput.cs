using System.Buffers;

namespace Vireo.Api.Http;

/// <summary>
/// The reading side of one connection: a fixed buffer as large as the largest head allowed, so
/// nothing a client sends can grow it. Pipelined bytes stay in the buffer for the next request.
/// Every limit and framing error is an <see cref="BadHttpRequestException"/>.
/// </summary>
internal sealed class HttpInput : IDisposable
{
    // A chunk-size line: 16 hex digits and a modest extension.
    private const int MaxChunkLineBytes = 256;

    private readonly Stream _stream;
    private readonly HttpLimits _limits;
    private byte[] _buffer;
    private int _start;
    private int _end;

    public HttpInput(Stream stream, HttpLimits limits)
    {
        _stream = stream;
        _limits = limits;
        _buffer = ArrayPool<byte>.Shared.Rent(limits.MaxHeadBytes);
    }

    /// <summary>Bytes received and not yet consumed.</summary>
    public int Buffered => _end - _start;

    /// <summary>Waits until the next request's first byte is here (skipping the empty lines RFC
    /// 9112 §2.2 lets a client send before it); false when the client closed the connection.</summary>
    public async ValueTask<bool> WaitForRequestAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            while (Buffered >= 2 && _buffer[_start] == (byte)'\r' && _buffer[_start + 1] == (byte)'\n')
            {
                _start += 2;
            }
            if (Buffered >= 2 || (Buffered == 1 && _buffer[_start] != (byte)'\r'))
            {
                return true;
            }
            if (!await FillAsync(cancellationToken))
            {
                return Buffered > 0 ? throw Ended("a request head") : false;
            }
        }
    }

    /// <summary>Reads and parses one request head.</summary>
    public async ValueTask<HttpRequestHead> ReadHeadAsync(CancellationToken cancellationToken)
    {
        int scanned = 0;
        while (true)
        {
            int end = FindHeadEnd(ref scanned);
            if (end >= 0)
            {
                HttpRequestHead head = HttpHeadParser.Parse(_buffer.AsSpan(_start, end), _limits);
                _start += end;
                return head;
            }
            if (!await FillAsync(cancellationToken))
            {
                throw Ended("a request head");
            }
        }
    }

    /// <summary>Reads the whole body <paramref name="head"/> announces, at most
    /// <see cref="HttpLimits.MaxBodyBytes"/>; <paramref name="endpoint"/> names the request in errors.</summary>
    public async ValueTask<byte[]> ReadBodyAsync(HttpRequestHead head, string endpoint, CancellationToken cancellationToken)
    {
        if (head.ContentLength is long length)
        {
            if (length > _limits.MaxBodyBytes)
            {
                throw TooLarge(endpoint);
            }
            byte[] body = length == 0 ? [] : new byte[length];
            await ReadExactlyAsync(body, endpoint, cancellationToken);
            return body;
        }
        return head.Chunked ? await ReadChunkedAsync(endpoint, cancellationToken) : [];
    }

    /// <summary>Discards what the client still sends, for at most <paramref name="maxBytes"/> bytes
    /// or until it closes, so that closing does not reset an answer it has yet to read.</summary>
    public async Task DrainAsync(int maxBytes, CancellationToken cancellationToken)
    {
        _start = _end = 0;
        for (int total = 0; total < maxBytes;)
        {
            int read = await _stream.ReadAsync(_buffer, cancellationToken);
            if (read == 0)
            {
                return;
            }
            total += read;
        }
    }

    public void Dispose()
    {
        byte[] buffer = Interlocked.Exchange(ref _buffer, []);
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public static BadHttpRequestException TooLarge(string endpoint, int limit) =>
        new(HttpStatus.ContentTooLarge, $"request body too large: {endpoint} takes at most {limit} bytes");

    private BadHttpRequestException TooLarge(string endpoint) => TooLarge(endpoint, _limits.MaxBodyBytes);

    /// <summary>Where the head in the buffer ends (after its empty line), or -1 if it has not
    /// arrived yet; throws as soon as the request line or the head is longer than allowed.</summary>
    private int FindHeadEnd(ref int scanned)
    {
        ReadOnlySpan<byte> data = _buffer.AsSpan(_start, Buffered);
        // Resume where the last search stopped, less the three bytes of a split "\r\n\r\n".
        int from = Math.Max(0, scanned - 3);
        int found = data[from..].IndexOf(HttpHeadParser.HeadEnd);
        if (found >= 0)
        {
            return from + found + HttpHeadParser.HeadEnd.Length;
        }
        scanned = data.Length;
        int lineEnd = data[..Math.Min(data.Length, _limits.MaxRequestLineBytes)].IndexOf((byte)'\n');
        if (lineEnd < 0 && data.Length >= _limits.MaxRequestLineBytes)
        {
            throw HttpHeadParser.RequestLineTooLong(_limits);
        }
        if (data.Length >= _limits.MaxHeadBytes)
        {
            throw HttpHeadParser.HeadersTooLarge(_limits);
        }
        return -1;
    }

    private async ValueTask<byte[]> ReadChunkedAsync(string endpoint, CancellationToken cancellationToken)
    {
        byte[] body = [];
        int total = 0;
        while (true)
        {
            int lineLength = await ReadLineAsync(MaxChunkLineBytes, endpoint, cancellationToken);
            ulong size = ChunkSize.Parse(_buffer.AsSpan(_start, lineLength), endpoint);
            _start += lineLength + 2;
            if (size == 0)
            {
                await SkipTrailersAsync(endpoint, cancellationToken);
                return body.Length == total ? body : body[..total];
            }
            if (size > (ulong)(_limits.MaxBodyBytes - total))
            {
                throw TooLarge(endpoint);
            }
            int chunk = (int)size;
            if (body.Length < total + chunk)
            {
                Array.Resize(ref body, Math.Min(_limits.MaxBodyBytes, Math.Max(total + chunk, body.Length * 2)));
            }
            await ReadExactlyAsync(body.AsMemory(total, chunk), endpoint, cancellationToken);
            total += chunk;
            await EnsureAsync(2, endpoint, cancellationToken);
            if (_buffer[_start] != (byte)'\r' || _buffer[_start + 1] != (byte)'\n')
            {
                throw ChunkSize.Malformed(endpoint, "a chunk is longer than its size says");
            }
            _start += 2;
        }
    }

    /// <summary>Trailer fields after the last chunk: checked for length, then dropped.</summary>
    private async ValueTask SkipTrailersAsync(string endpoint, CancellationToken cancellationToken)
    {
        for (int total = 0; ;)
        {
            int lineLength = await ReadLineAsync(_limits.MaxHeaderBytes, endpoint, cancellationToken);
            _start += lineLength + 2;
            total += lineLength + 2;
            if (total > _limits.MaxHeaderBytes)
            {
                throw HttpHeadParser.HeadersTooLarge(_limits);
            }
            if (lineLength == 0)
            {
                return;
            }
        }
    }

    /// <summary>Waits for a CRLF-terminated line at the start of the buffer; returns its length
    /// without the CRLF.</summary>
    private async ValueTask<int> ReadLineAsync(int maxLength, string endpoint, CancellationToken cancellationToken)
    {
        int scanned = 0;
        while (true)
        {
            ReadOnlySpan<byte> data = _buffer.AsSpan(_start, Buffered);
            int from = Math.Max(0, scanned - 1);
            int found = data[from..].IndexOf("\r\n"u8);
            if (found >= 0)
            {
                return from + found;
            }
            scanned = data.Length;
            if (data.Length > maxLength)
            {
                throw ChunkSize.Malformed(endpoint, $"a line is longer than {maxLength} bytes");
            }
            if (!await FillAsync(cancellationToken))
            {
                throw Ended($"the chunked body of {endpoint}");
            }
        }
    }

    private async ValueTask ReadExactlyAsync(Memory<byte> destination, string endpoint, CancellationToken cancellationToken)
    {
        int copied = Math.Min(destination.Length, Buffered);
        _buffer.AsSpan(_start, copied).CopyTo(destination.Span);
        _start += copied;
        while (copied < destination.Length)
        {
            int read = await _stream.ReadAsync(destination[copied..], cancellationToken);
            if (read == 0)
            {
                throw new BadHttpRequestException(HttpStatus.BadRequest,
                    $"bad request: the body of {endpoint} ended after {copied} of the {destination.Length} bytes announced");
            }
            copied += read;
        }
    }

    private async ValueTask EnsureAsync(int count, string endpoint, CancellationToken cancellationToken)
    {
        while (Buffered < count)
        {
            if (!await FillAsync(cancellationToken))
            {
                throw Ended($"the chunked body of {endpoint}");
            }
        }
    }

    /// <summary>Reads more into the buffer; false at end of stream.</summary>
    private async ValueTask<bool> FillAsync(CancellationToken cancellationToken)
    {
        if (_start == _end)
        {
            _start = _end = 0;
        }
        else if (_end == _buffer.Length)
        {
            // Callers check their limits first, so the bytes kept always leave room.
            _buffer.AsSpan(_start, Buffered).CopyTo(_buffer);
            _end = Buffered;
            _start = 0;
        }
        int read = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken);
        _end += read;
        return read > 0;
    }

    private static BadHttpRequestException Ended(string what) =>
        new(HttpStatus.BadRequest, $"bad request: the connection ended inside {what}");
}
