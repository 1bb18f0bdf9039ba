using System.Buffers.Binary;

namespace Vireo.Pci;

/// <summary>
/// The MSI-X table of a function (PCI 3.0 §6.8.2.6-§6.8.2.10): 16-byte entries {address low,
/// address high, data, vector control}, all vectors masked after reset, and the read-only
/// Pending Bit Array computed from the caller's pending state.
/// </summary>
public sealed class MsixTable
{
    /// <summary>PCI 3.0 §6.8.2.6: one table entry.</summary>
    public const int EntrySize = 16;

    // PCI 3.0 §6.8.2.9: Vector Control bit 0 is the per-vector mask.
    private const int VectorControlOffset = 12;

    private readonly byte[] _table;

    /// <summary>Creates a table of <paramref name="vectors"/> entries, each zero and masked as after reset.</summary>
    /// <param name="vectors">The number of vectors, 1 to 2048 (PCI 3.0 §6.8.2.3, Table Size is 11 bits).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="vectors"/> is outside 1 to 2048.</exception>
    public MsixTable(int vectors)
    {
        if (vectors is < 1 or > 2048)
        {
            throw new ArgumentOutOfRangeException(nameof(vectors), vectors, "MSI-X has 1 to 2048 vectors");
        }
        Vectors = vectors;
        _table = new byte[vectors * EntrySize];
        Reset();
    }

    /// <summary>The number of entries in the table.</summary>
    public int Vectors { get; }

    /// <summary>The table's size in bytes, <see cref="Vectors"/> times <see cref="EntrySize"/>.</summary>
    public int TableLength => _table.Length;

    /// <summary>PCI 3.0 §6.8.2.10: one bit per vector, in whole QWORDs.</summary>
    public int PbaLength => PbaLengthFor(Vectors);

    /// <summary>The Pending Bit Array's size in bytes for <paramref name="vectors"/> vectors: one bit each, rounded up to whole QWORDs (PCI 3.0 §6.8.2.10).</summary>
    public static int PbaLengthFor(int vectors) => (vectors + 63) / 64 * 8;

    /// <summary>Reads table bytes from <paramref name="offset"/>; bytes past the table are left
    /// as they are.</summary>
    public void Read(ulong offset, Span<byte> data)
    {
        if (offset >= (ulong)_table.Length)
        {
            return;
        }
        int length = (int)Math.Min((ulong)data.Length, (ulong)_table.Length - offset);
        _table.AsSpan((int)offset, length).CopyTo(data);
    }

    /// <summary>A guest write; bytes past the table are ignored.</summary>
    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        if (offset >= (ulong)_table.Length)
        {
            return;
        }
        int length = (int)Math.Min((ulong)data.Length, (ulong)_table.Length - offset);
        data[..length].CopyTo(_table.AsSpan((int)offset));
    }

    /// <summary>Whether the guest has masked <paramref name="vector"/> (Vector Control bit 0); the function mask is separate, in the capability.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="vector"/> is not below <see cref="Vectors"/>.</exception>
    public bool IsMasked(int vector) => (_table[(CheckVector(vector) * EntrySize) + VectorControlOffset] & 1) != 0;

    /// <summary>The 64-bit message address the guest programmed for <paramref name="vector"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="vector"/> is not below <see cref="Vectors"/>.</exception>
    public ulong MessageAddress(int vector) => BinaryPrimitives.ReadUInt64LittleEndian(_table.AsSpan(CheckVector(vector) * EntrySize));

    /// <summary>The message data the guest programmed for <paramref name="vector"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="vector"/> is not below <see cref="Vectors"/>.</exception>
    public uint MessageData(int vector) => BinaryPrimitives.ReadUInt32LittleEndian(_table.AsSpan((CheckVector(vector) * EntrySize) + 8));

    /// <summary>Every entry zero and masked, as after reset (PCI 3.0 §6.8.2.9).</summary>
    public void Reset()
    {
        Array.Clear(_table);
        for (int v = 0; v < Vectors; v++)
        {
            _table[(v * EntrySize) + VectorControlOffset] = 1;
        }
    }

    /// <summary>Fills <paramref name="data"/> with the PBA bytes from <paramref name="offset"/>:
    /// bit v is <paramref name="isPending"/>(v); bytes past the PBA read 0.</summary>
    public static void ReadPba(int vectors, ulong offset, Span<byte> data, Func<int, bool> isPending)
    {
        data.Clear();
        ulong length = (ulong)PbaLengthFor(vectors);
        for (int i = 0; i < data.Length && offset + (ulong)i < length; i++)
        {
            int first = (int)(offset + (ulong)i) * 8;
            byte bits = 0;
            for (int b = 0; b < 8 && first + b < vectors; b++)
            {
                if (isPending(first + b))
                {
                    bits |= (byte)(1 << b);
                }
            }
            data[i] = bits;
        }
    }

    private int CheckVector(int vector)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)vector, (uint)Vectors, nameof(vector));
        return vector;
    }
}
