namespace Vireo.Api.Fuzz;

/// <summary>The server's end of a connection whose client sent <c>input</c> and then closed its
/// sending side: reads return the input (at most <c>maxRead</c> bytes each, 0 for no limit),
/// then end of stream at once, so nothing waits for bytes the input does not have. What the
/// server writes is kept in <see cref="Written"/>.</summary>
internal sealed class ClientBytes(byte[] input, int maxRead) : Stream
{
    private readonly MemoryStream _written = new();
    private int _position;

    /// <summary>Every byte the server wrote, in order.</summary>
    public byte[] Written
    {
        get
        {
            lock (_written)
            {
                return _written.ToArray();
            }
        }
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        lock (_written)
        {
            int n = Math.Min(buffer.Length, input.Length - _position);
            if (maxRead > 0)
            {
                n = Math.Min(n, maxRead);
            }
            input.AsSpan(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Read(buffer.Span));
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        lock (_written)
        {
            _written.Write(buffer);
        }
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
