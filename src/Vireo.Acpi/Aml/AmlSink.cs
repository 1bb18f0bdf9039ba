using System.Buffers.Binary;

namespace Vireo.Acpi;

/// <summary>Growable little-endian byte sink that AML nodes render into.</summary>
public sealed class AmlSink
{
    // ACPI 6.5 §20.2.4: PkgLength holds at most 28 bits.
    internal const int MaxPkgLength = (1 << 28) - 1;

    private byte[] _buffer;
    private int _length;

    /// <summary>
    /// An empty sink whose buffer starts at <paramref name="capacity"/> bytes (at least 16) and
    /// grows.
    /// </summary>
    public AmlSink(int capacity = 64)
    {
        _buffer = new byte[Math.Max(capacity, 16)];
    }

    /// <summary>Bytes written so far.</summary>
    public int Length => _length;

    /// <summary>The bytes written so far; valid until the next write.</summary>
    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _length);

    /// <summary>A copy of the bytes written.</summary>
    public byte[] ToArray() => WrittenSpan.ToArray();

    /// <summary>The bytes of <paramref name="node"/> alone.</summary>
    public static byte[] Render(IAml node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var sink = new AmlSink();
        node.AppendTo(sink);
        return sink.ToArray();
    }

    /// <summary>
    /// The bytes of <paramref name="nodes"/>, concatenated in order (a table body).
    /// </summary>
    public static byte[] Render(IEnumerable<IAml> nodes)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        var sink = new AmlSink();
        sink.Append(nodes);
        return sink.ToArray();
    }

    /// <summary>Appends the bytes of <paramref name="node"/>.</summary>
    public void Append(IAml node)
    {
        ArgumentNullException.ThrowIfNull(node);
        node.AppendTo(this);
    }

    /// <summary>Appends the bytes of each of <paramref name="nodes"/> in order.</summary>
    public void Append(IEnumerable<IAml> nodes)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        foreach (IAml node in nodes)
        {
            Append(node);
        }
    }

    /// <summary>Appends one byte.</summary>
    public void Byte(byte value) => Reserve(1)[0] = value;

    /// <summary>Appends <paramref name="values"/> as they are.</summary>
    public void Bytes(ReadOnlySpan<byte> values) => values.CopyTo(Reserve(values.Length));

    /// <summary>Appends a 16-bit value, little endian.</summary>
    public void Word(ushort value) => BinaryPrimitives.WriteUInt16LittleEndian(Reserve(2), value);

    /// <summary>Appends a 32-bit value, little endian.</summary>
    public void DWord(uint value) => BinaryPrimitives.WriteUInt32LittleEndian(Reserve(4), value);

    /// <summary>Appends a 64-bit value, little endian.</summary>
    public void QWord(ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(Reserve(8), value);

    /// <summary>Writes <paramref name="opcode"/>, a PkgLength and the body (ACPI 6.5 §20.2.4);
    /// the body is rendered first because PkgLength precedes it and counts itself.</summary>
    internal void Package(ReadOnlySpan<byte> opcode, Action<AmlSink> writeBody)
    {
        var body = new AmlSink();
        writeBody(body);
        Bytes(opcode);
        PkgLength(body.Length);
        Bytes(body.WrittenSpan);
    }

    /// <summary>PkgLength of a package whose content (after the PkgLength) is
    /// <paramref name="contentLength"/> bytes; the encoded value includes its own bytes.</summary>
    internal void PkgLength(int contentLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(contentLength);
        for (int size = 1; size <= 4; size++)
        {
            long total = (long)contentLength + size;
            if (total <= MaxEncodable(size))
            {
                EncodeLength((int)total, size);
                return;
            }
        }
        throw new ArgumentOutOfRangeException(nameof(contentLength), contentLength, "AML package longer than a 28-bit PkgLength allows (ACPI 6.5 §20.2.4)");
    }

    /// <summary>A field unit's bit width (ACPI 6.5 §20.2.5.2 NamedField, ReservedField) uses the
    /// PkgLength encoding for the plain bit count. The number of bytes is chosen as for a
    /// PkgLength, as if the encoding counted itself, because that is what iasl emits (63 bits is
    /// <c>4F 03</c>); ACPICA decodes either form, and matching iasl keeps disassembly round trips
    /// byte-identical.</summary>
    internal void FieldLength(int bits)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bits);
        for (int size = 1; size <= 4; size++)
        {
            if ((long)bits + size <= MaxEncodable(size))
            {
                EncodeLength(bits, size);
                return;
            }
        }
        throw new ArgumentOutOfRangeException(nameof(bits), bits, "field wider than a 28-bit PkgLength allows (ACPI 6.5 §20.2.4)");
    }

    // One byte carries 6 bits; longer forms carry 4 bits in the lead byte plus 8 per extra byte.
    private static long MaxEncodable(int size) => size == 1 ? 0x3F : (1L << (4 + (8 * (size - 1)))) - 1;

    private void EncodeLength(int value, int size)
    {
        if (size == 1)
        {
            Byte((byte)value);
            return;
        }
        // Bits 7-6 of the lead byte: count of following bytes; bits 3-0: least significant nibble.
        Byte((byte)(((size - 1) << 6) | (value & 0x0F)));
        value >>= 4;
        for (int i = 1; i < size; i++)
        {
            Byte((byte)value);
            value >>= 8;
        }
    }

    private Span<byte> Reserve(int count)
    {
        int needed = _length + count;
        if (needed > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(needed, _buffer.Length * 2));
        }
        Span<byte> span = _buffer.AsSpan(_length, count);
        _length = needed;
        return span;
    }
}
