namespace Vireo.Virtio;

/// <summary>A FIFO of bytes that never holds more than <see cref="Capacity"/>: the storage grows
/// by doubling as bytes arrive (a connection that moves nothing costs nothing) and is released when
/// the ring is cleared. Not thread-safe.</summary>
internal sealed class ByteRing
{
    private const int InitialStorage = 4096;

    private byte[] _storage = [];
    private int _start;

    /// <summary>A ring of at most <paramref name="capacity"/> bytes.</summary>
    public ByteRing(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Capacity = capacity;
    }

    /// <summary>The most bytes the ring holds.</summary>
    public int Capacity { get; }

    /// <summary>The bytes held.</summary>
    public int Count { get; private set; }

    /// <summary>Room for more.</summary>
    public int Free => Capacity - Count;

    /// <summary>Appends all of <paramref name="data"/>, which must fit in <see cref="Free"/>.</summary>
    public void Write(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            Span<byte> room = WritableSpan(data.Length);
            data[..room.Length].CopyTo(room);
            Commit(room.Length);
            data = data[room.Length..];
        }
    }

    /// <summary>The contiguous free space at the tail, at most <paramref name="wanted"/> bytes and
    /// never more than <see cref="Free"/>; fill a prefix and <see cref="Commit"/> it. Empty only
    /// when the ring is full or nothing was wanted.</summary>
    public Span<byte> WritableSpan(int wanted)
    {
        wanted = Math.Min(wanted, Free);
        if (wanted <= 0)
        {
            return [];
        }
        Reserve(Count + wanted);
        int tail = (_start + Count) % _storage.Length;
        int contiguous = tail >= _start && Count < _storage.Length ? _storage.Length - tail : _start - tail;
        return _storage.AsSpan(tail, Math.Min(wanted, contiguous));
    }

    /// <summary>Appends the first <paramref name="count"/> bytes of the last <see cref="WritableSpan"/>.</summary>
    public void Commit(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, _storage.Length - Count);
        Count += count;
    }

    /// <summary>The contiguous bytes at the head (all of them or the part before the wrap).</summary>
    public ReadOnlySpan<byte> ReadableSpan() => Count == 0 ? [] : _storage.AsSpan(_start, Math.Min(Count, _storage.Length - _start));

    /// <summary>Copies the first <paramref name="data"/>.Length bytes out, without consuming them.</summary>
    public void Peek(Span<byte> data)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(data.Length, Count);
        int first = Math.Min(data.Length, _storage.Length - _start);
        _storage.AsSpan(_start, first).CopyTo(data);
        _storage.AsSpan(0, data.Length - first).CopyTo(data[first..]);
    }

    /// <summary>Drops the first <paramref name="count"/> bytes.</summary>
    public void Consume(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, Count);
        Count -= count;
        _start = Count == 0 ? 0 : (_start + count) % _storage.Length;
    }

    /// <summary>Drops everything and releases the storage.</summary>
    public void Clear()
    {
        _storage = [];
        _start = 0;
        Count = 0;
    }

    // Grows the storage to hold `needed` bytes, unwrapping the content to the front.
    private void Reserve(int needed)
    {
        if (needed <= _storage.Length)
        {
            return;
        }
        int size = Math.Max(InitialStorage, _storage.Length);
        while (size < needed)
        {
            size *= 2;
        }
        var grown = new byte[Math.Min(size, Capacity)];
        Peek(grown.AsSpan(0, Count));
        _storage = grown;
        _start = 0;
    }
}
