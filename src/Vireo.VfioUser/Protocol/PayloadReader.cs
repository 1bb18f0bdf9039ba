using System.Buffers.Binary;

namespace Vireo.VfioUser;

/// <summary>Little-endian cursor over a received payload; running off the end is a malformed
/// message (EINVAL), never an IndexOutOfRangeException.</summary>
internal ref struct PayloadReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _position;

    public PayloadReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _position = 0;
    }

    public readonly int Remaining => _data.Length - _position;

    public ushort U16() => BinaryPrimitives.ReadUInt16LittleEndian(Take(2));

    public uint U32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

    public int I32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));

    public ulong U64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

    public ReadOnlySpan<byte> Take(int count)
    {
        if (count < 0 || count > Remaining)
        {
            throw new VfioUserException(Sys.Errno.EINVAL, $"payload too short: need {count} bytes at {_position}, have {Remaining}");
        }
        ReadOnlySpan<byte> slice = _data.Slice(_position, count);
        _position += count;
        return slice;
    }

    public ReadOnlySpan<byte> Rest() => Take(Remaining);
}
