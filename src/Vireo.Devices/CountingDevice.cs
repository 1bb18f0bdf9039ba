using System.Buffers.Binary;

namespace Vireo.Devices;

/// <summary>
/// Counts the accesses it receives and keeps the last value written; reads return a fixed
/// value. It is what the exit benchmark and the exit-path tests put on the bus, so they measure
/// and check the same dispatch path as every other device.
/// </summary>
public sealed class CountingDevice(ulong readValue = 0) : IBusDevice
{
    private long _reads;
    private long _writes;
    private ulong _lastWrite;
    private ulong _lastOffset;
    private int _lastWidth;

    /// <summary>Reads handled so far.</summary>
    public long Reads => Interlocked.Read(ref _reads);

    /// <summary>Writes handled so far.</summary>
    public long Writes => Interlocked.Read(ref _writes);

    /// <summary>The last value written, little-endian, zero-extended to 64 bits.</summary>
    public ulong LastWrite => Volatile.Read(ref _lastWrite);

    /// <summary>The offset of the last write.</summary>
    public ulong LastOffset => Volatile.Read(ref _lastOffset);

    /// <summary>The width in bytes of the last write.</summary>
    public int LastWidth => Volatile.Read(ref _lastWidth);

    /// <inheritdoc/>
    public void Read(ulong offset, Span<byte> data)
    {
        Span<byte> value = stackalloc byte[sizeof(ulong)];
        BinaryPrimitives.WriteUInt64LittleEndian(value, readValue);
        value[..Math.Min(data.Length, sizeof(ulong))].CopyTo(data);
        Interlocked.Increment(ref _reads);
    }

    /// <inheritdoc/>
    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        Span<byte> value = stackalloc byte[sizeof(ulong)];
        value.Clear();
        data[..Math.Min(data.Length, sizeof(ulong))].CopyTo(value);
        Volatile.Write(ref _lastWrite, BinaryPrimitives.ReadUInt64LittleEndian(value));
        Volatile.Write(ref _lastOffset, offset);
        Volatile.Write(ref _lastWidth, data.Length);
        Interlocked.Increment(ref _writes);
    }
}
