using System.Buffers.Binary;

namespace Vireo.VfioUser;

/// <summary>Little-endian cursor over a payload being encoded into an exactly sized buffer.</summary>
internal ref struct PayloadWriter
{
    private readonly Span<byte> _data;
    private int _position;

    public PayloadWriter(Span<byte> data)
    {
        _data = data;
        _position = 0;
    }

    public readonly int Position => _position;

    public void U16(ushort value)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(_data[_position..], value);
        _position += 2;
    }

    public void U32(uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(_data[_position..], value);
        _position += 4;
    }

    public void I32(int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(_data[_position..], value);
        _position += 4;
    }

    public void U64(ulong value)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(_data[_position..], value);
        _position += 8;
    }

    public void Bytes(ReadOnlySpan<byte> value)
    {
        value.CopyTo(_data[_position..]);
        _position += value.Length;
    }

    public void Zeros(int count)
    {
        _data.Slice(_position, count).Clear();
        _position += count;
    }
}
