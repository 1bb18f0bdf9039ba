namespace Vireo.Api.Http;

/// <summary>
/// The body of an answer the client reads, framed by Content-Length, chunked, or by the server
/// closing, starting with the bytes that arrived with the head. Framing errors are
/// <see cref="IOException"/>s, as a broken connection would be.
/// </summary>
internal sealed class ResponseBodyStream : Stream
{
    private const int MaxChunkLineBytes = 256;

    private readonly Stream _inner;
    private readonly byte[] _buffer;
    private int _start;
    private int _end;
    private readonly bool _chunked;
    // Content-Length: bytes left; chunked: bytes left in the current chunk; -1: until close.
    private long _remaining;
    private bool _done;

    public ResponseBodyStream(Stream inner, byte[] buffer, int start, int end, bool chunked, long? contentLength)
    {
        _inner = inner;
        _buffer = buffer;
        _start = start;
        _end = end;
        _chunked = chunked;
        _remaining = chunked ? 0 : contentLength ?? -1;
        _done = !chunked && contentLength == 0;
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        if (_done || destination.IsEmpty)
        {
            return 0;
        }
        if (_chunked && _remaining == 0)
        {
            _remaining = await NextChunkAsync(cancellationToken);
            if (_remaining == 0)
            {
                _done = true;
                return 0;
            }
        }
        int want = _remaining < 0 ? destination.Length : (int)Math.Min(destination.Length, _remaining);
        int read;
        if (_end > _start)
        {
            read = Math.Min(want, _end - _start);
            _buffer.AsSpan(_start, read).CopyTo(destination.Span);
            _start += read;
        }
        else
        {
            read = await _inner.ReadAsync(destination[..want], cancellationToken);
            if (read == 0)
            {
                if (_remaining < 0)
                {
                    _done = true;
                    return 0;
                }
                throw new IOException("the connection closed before the end of the answer");
            }
        }
        if (_remaining > 0)
        {
            _remaining -= read;
            if (_chunked && _remaining == 0)
            {
                await ExpectCrlfAsync(cancellationToken);
            }
            else if (!_chunked && _remaining == 0)
            {
                _done = true;
            }
        }
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    // Every reader of this stream is asynchronous; the synchronous path exists because Stream requires it.
    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }
        base.Dispose(disposing);
    }

    private async ValueTask<long> NextChunkAsync(CancellationToken cancellationToken)
    {
        int length = await ReadLineAsync(cancellationToken);
        ulong size;
        try
        {
            size = ChunkSize.Parse(_buffer.AsSpan(_start, length), "the answer");
        }
        catch (BadHttpRequestException e)
        {
            throw new IOException(e.Message, e);
        }
        _start += length + 2;
        if (size > int.MaxValue)
        {
            throw new IOException($"the answer has a chunk of {size} bytes");
        }
        if (size == 0)
        {
            // Trailer fields, if any, up to the empty line.
            while ((length = await ReadLineAsync(cancellationToken)) > 0)
            {
                _start += length + 2;
            }
            _start += 2;
        }
        return (long)size;
    }

    private async ValueTask ExpectCrlfAsync(CancellationToken cancellationToken)
    {
        if (await ReadLineAsync(cancellationToken) != 0)
        {
            throw new IOException("the answer has a chunk longer than its size says");
        }
        _start += 2;
    }

    /// <summary>Waits for a CRLF-terminated line at the start of the buffer; returns its length.</summary>
    private async ValueTask<int> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            int found = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n"u8);
            if (found >= 0)
            {
                return found;
            }
            if (_end - _start > MaxChunkLineBytes)
            {
                throw new IOException("the answer has a chunk line that does not end");
            }
            if (_start > 0)
            {
                _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
                _end -= _start;
                _start = 0;
            }
            int read = await _inner.ReadAsync(_buffer.AsMemory(_end), cancellationToken);
            if (read == 0)
            {
                throw new IOException("the connection closed inside a chunked answer");
            }
            _end += read;
        }
    }
}
