using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Vireo.Fdt;

/// <summary>
/// Writes a flattened device tree (DTB) as the Devicetree Specification v0.4 chapter 5 lays it
/// out: the header (version 17, last compatible version 16), the memory reservation block, the
/// structure block and the strings block, all big-endian. Nodes are begun and ended in order and
/// each node's properties come before its children; every rule the format has is checked as the
/// tree is written, each breach a typed <see cref="FdtException"/>, so a finished blob is one
/// that <c>dtc</c> reads back without complaint.
/// </summary>
public sealed class FdtWriter
{
    /// <summary>DTSpec v0.4 §5.2: the header's magic.</summary>
    public const uint Magic = 0xd00d_feed;

    /// <summary>DTSpec v0.4 §5.2: the version this writer emits.</summary>
    public const uint Version = 17;

    /// <summary>DTSpec v0.4 §5.2: the oldest version a version-17 blob is compatible with.</summary>
    public const uint LastCompatibleVersion = 16;

    /// <summary>DTSpec v0.4 §5.2: ten 32-bit header fields.</summary>
    public const int HeaderSize = 40;

    /// <summary>DTSpec v0.4 §2.2.1 and §2.2.4: names are 1 to 31 characters.</summary>
    public const int MaxNameLength = 31;

    // DTSpec v0.4 §5.4.1: structure block tokens.
    internal const uint BeginNodeToken = 0x1;
    internal const uint EndNodeToken = 0x2;
    internal const uint PropToken = 0x3;
    internal const uint EndToken = 0x9;

    // DTSpec v0.4 §5.3.2: one reservation is two 64-bit big-endian values.
    private const int ReservationEntrySize = 16;

    private readonly ArrayBufferWriter<byte> _structure = new();
    private readonly ArrayBufferWriter<byte> _strings = new();
    private readonly Dictionary<string, int> _stringOffsets = new(StringComparer.Ordinal);
    private readonly List<(ulong Address, ulong Size)> _reservations = [];
    private readonly Stack<OpenNode> _open = new();
    private bool _rootWritten;
    private bool _finished;
    private uint _nextPhandle = 1;

    /// <summary>The physical id of the CPU that boots (the header's boot_cpuid_phys, which must
    /// match that CPU's <c>reg</c>); 0 unless set.</summary>
    public uint BootCpuId { get; set; }

    /// <summary>Nodes begun and not yet ended.</summary>
    public int Depth => _open.Count;

    /// <summary>Reserves <paramref name="size"/> bytes at <paramref name="address"/> in the memory
    /// reservation block (memory the client program must not use, DTSpec v0.4 §5.3).</summary>
    public void AddMemoryReservation(ulong address, ulong size)
    {
        ThrowIfFinished();
        if (size == 0)
        {
            throw new FdtValueException($"a memory reservation at 0x{address:x} of size 0 would read as the end of the list");
        }
        if (address > ulong.MaxValue - (size - 1))
        {
            throw new FdtValueException($"the memory reservation at 0x{address:x} of size 0x{size:x} wraps past the top of the address space");
        }
        _reservations.Add((address, size));
    }

    /// <summary>A fresh phandle (1, 2, ...) for the caller to write as a node's <c>phandle</c> property
    /// and to refer to from others; 0 and 0xffffffff are never handed out (DTSpec v0.4 §2.3.3).</summary>
    public uint AllocatePhandle()
    {
        if (_nextPhandle == uint.MaxValue)
        {
            throw new FdtValueException("no phandles left");
        }
        return _nextPhandle++;
    }

    /// <summary>Begins a node: the root is <c>""</c>, any other name is <c>node-name[@unit-address]</c>
    /// (DTSpec v0.4 §2.2.1). Dispose the result, or call <see cref="EndNode()"/>, to end it.</summary>
    public FdtNode BeginNode(string name)
    {
        ThrowIfFinished();
        ArgumentNullException.ThrowIfNull(name);
        if (_open.Count == 0)
        {
            if (_rootWritten)
            {
                throw new FdtStructureException(FdtStructureError.SecondRoot, $"node '{name}' would be a second root");
            }
            if (name.Length != 0)
            {
                throw new FdtNameException(name, $"the root node's name is empty, not '{name}'");
            }
            _rootWritten = true;
        }
        else
        {
            CheckNodeName(name);
            OpenNode parent = _open.Peek();
            if (!parent.Children.Add(name))
            {
                throw new FdtDuplicateException(name, $"node '{parent.Name}' already has a child '{name}'");
            }
            parent.HasChild = true;
        }
        WriteToken(BeginNodeToken);
        int length = Encoding.ASCII.GetByteCount(name);
        Span<byte> bytes = _structure.GetSpan(length + 1);
        Encoding.ASCII.GetBytes(name, bytes);
        bytes[length] = 0;
        _structure.Advance(length + 1);
        Pad();
        _open.Push(new OpenNode(name));
        return new FdtNode(this, _open.Count);
    }

    /// <summary>Ends the innermost open node.</summary>
    public void EndNode() => EndNode(_open.Count);

    internal void EndNode(int depth)
    {
        ThrowIfFinished();
        if (_open.Count == 0)
        {
            throw new FdtStructureException(FdtStructureError.UnbalancedEnd, "no node is open to end");
        }
        if (depth != _open.Count)
        {
            throw new FdtStructureException(FdtStructureError.UnbalancedEnd,
                $"a node at depth {depth} ended while '{_open.Peek().Name}' at depth {_open.Count} is open");
        }
        _open.Pop();
        WriteToken(EndNodeToken);
    }

    /// <summary>A property with no value (a boolean that is true by being there).</summary>
    public void PropertyEmpty(string name) => Property(name, []);

    /// <summary>A property of one 32-bit cell.</summary>
    public void PropertyU32(string name, uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        Property(name, bytes);
    }

    /// <summary>A property of one 64-bit value (two cells, high first).</summary>
    public void PropertyU64(string name, ulong value)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, value);
        Property(name, bytes);
    }

    /// <summary>A property of 32-bit cells, in order (<c>&lt;a b c&gt;</c> in DTS).</summary>
    public void PropertyCells(string name, params ReadOnlySpan<uint> cells)
    {
        byte[] bytes = new byte[checked(cells.Length * 4)];
        for (int i = 0; i < cells.Length; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(i * 4), cells[i]);
        }
        Property(name, bytes);
    }

    /// <summary>A property of 64-bit values, each as two cells high first: a <c>reg</c> or
    /// <c>ranges</c> where #address-cells and #size-cells are both 2.</summary>
    public void PropertyU64Array(string name, params ReadOnlySpan<ulong> values)
    {
        byte[] bytes = new byte[checked(values.Length * 8)];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(i * 8), values[i]);
        }
        Property(name, bytes);
    }

    /// <summary>A property of one NUL-terminated string.</summary>
    public void PropertyString(string name, string value) => PropertyStringList(name, value);

    /// <summary>A property of NUL-terminated strings back to back (a <c>compatible</c> list).</summary>
    public void PropertyStringList(string name, params ReadOnlySpan<string> values)
    {
        int length = 0;
        foreach (string value in values)
        {
            ArgumentNullException.ThrowIfNull(value);
            if (value.Contains('\0', StringComparison.Ordinal))
            {
                throw new FdtValueException($"property '{name}': a string value cannot contain NUL");
            }
            length = checked(length + Encoding.UTF8.GetByteCount(value) + 1);
        }
        byte[] bytes = new byte[length];
        int at = 0;
        foreach (string value in values)
        {
            at += Encoding.UTF8.GetBytes(value, bytes.AsSpan(at));
            bytes[at++] = 0;
        }
        Property(name, bytes);
    }

    /// <summary>A property whose value is <paramref name="value"/> as it is.</summary>
    public void Property(string name, ReadOnlySpan<byte> value)
    {
        ThrowIfFinished();
        ArgumentNullException.ThrowIfNull(name);
        if (_open.Count == 0)
        {
            throw new FdtStructureException(FdtStructureError.NoOpenNode, $"property '{name}' written outside any node");
        }
        CheckPropertyName(name);
        OpenNode node = _open.Peek();
        if (node.HasChild)
        {
            throw new FdtStructureException(FdtStructureError.PropertyAfterChild,
                $"property '{name}' of node '{node.Name}' comes after a child node; properties come first");
        }
        if (!node.Properties.Add(name))
        {
            throw new FdtDuplicateException(name, $"node '{node.Name}' already has a property '{name}'");
        }
        WriteToken(PropToken);
        WriteToken((uint)value.Length);
        WriteToken((uint)StringOffset(name));
        value.CopyTo(_structure.GetSpan(value.Length));
        _structure.Advance(value.Length);
        Pad();
    }

    /// <summary>Bytes the finished blob will take with what has been written so far.</summary>
    public long TotalSize => ReservationBlockOffset + ReservationBlockSize + _structure.WrittenCount + 4 + _strings.WrittenCount;

    /// <summary>The finished blob; an <see cref="FdtSizeException"/> if it would exceed
    /// <paramref name="maxTotalSize"/> bytes. The writer takes no calls after this.</summary>
    public byte[] Finish(long maxTotalSize)
    {
        ThrowIfFinished();
        if (_open.Count != 0)
        {
            throw new FdtStructureException(FdtStructureError.Unfinished, $"{_open.Count} node(s) still open, innermost '{_open.Peek().Name}'");
        }
        if (!_rootWritten)
        {
            throw new FdtStructureException(FdtStructureError.Unfinished, "the tree has no root node");
        }
        long total = TotalSize;
        if (total > maxTotalSize || total > int.MaxValue)
        {
            throw new FdtSizeException(total, maxTotalSize);
        }
        _finished = true;

        byte[] blob = new byte[total];
        Span<byte> span = blob;
        int structOffset = ReservationBlockOffset + ReservationBlockSize;
        int structSize = _structure.WrittenCount + 4;
        int stringsOffset = structOffset + structSize;
        // DTSpec v0.4 §5.2, struct fdt_header.
        uint[] header =
        [
            Magic, (uint)total, (uint)structOffset, (uint)stringsOffset, (uint)ReservationBlockOffset,
            Version, LastCompatibleVersion, BootCpuId, (uint)_strings.WrittenCount, (uint)structSize,
        ];
        for (int i = 0; i < header.Length; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(span[(i * 4)..], header[i]);
        }
        int at = ReservationBlockOffset;
        foreach ((ulong address, ulong size) in _reservations)
        {
            BinaryPrimitives.WriteUInt64BigEndian(span[at..], address);
            BinaryPrimitives.WriteUInt64BigEndian(span[(at + 8)..], size);
            at += ReservationEntrySize;
        }
        // The terminating all-zero entry is already zero.
        _structure.WrittenSpan.CopyTo(span[structOffset..]);
        BinaryPrimitives.WriteUInt32BigEndian(span[(structOffset + _structure.WrittenCount)..], EndToken);
        _strings.WrittenSpan.CopyTo(span[stringsOffset..]);
        return blob;
    }

    // DTSpec v0.4 §5.3.1: the reservation block starts 8-byte aligned; the 40-byte header already is.
    private static int ReservationBlockOffset => HeaderSize;

    private int ReservationBlockSize => (_reservations.Count + 1) * ReservationEntrySize;

    private int StringOffset(string name)
    {
        if (_stringOffsets.TryGetValue(name, out int offset))
        {
            return offset;
        }
        offset = _strings.WrittenCount;
        int length = Encoding.ASCII.GetByteCount(name);
        Span<byte> bytes = _strings.GetSpan(length + 1);
        Encoding.ASCII.GetBytes(name, bytes);
        bytes[length] = 0;
        _strings.Advance(length + 1);
        _stringOffsets.Add(name, offset);
        return offset;
    }

    private void WriteToken(uint value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(_structure.GetSpan(4), value);
        _structure.Advance(4);
    }

    // DTSpec v0.4 §5.4: every token starts 4-byte aligned; padding bytes are zero.
    private void Pad()
    {
        int padding = (4 - (_structure.WrittenCount & 3)) & 3;
        _structure.GetSpan(padding)[..padding].Clear();
        _structure.Advance(padding);
    }

    private void ThrowIfFinished()
    {
        if (_finished)
        {
            throw new FdtStructureException(FdtStructureError.AlreadyFinished, "the device tree is already finished");
        }
    }

    // DTSpec v0.4 Table 2.1 (node names) and Table 2.2 (property names).
    private static bool IsNodeNameChar(char c) => char.IsAsciiLetterOrDigit(c) || c is ',' or '.' or '_' or '+' or '-';

    private static bool IsPropertyNameChar(char c) => IsNodeNameChar(c) || c is '?' or '#';

    private static void CheckNodeName(string name)
    {
        int at = name.IndexOf('@', StringComparison.Ordinal);
        string nodeName = at < 0 ? name : name[..at];
        if (nodeName.Length is 0 or > MaxNameLength)
        {
            throw new FdtNameException(name, $"node name '{name}': the part before '@' must be 1 to {MaxNameLength} characters");
        }
        if (!char.IsAsciiLetter(nodeName[0]))
        {
            throw new FdtNameException(name, $"node name '{name}' must start with a letter");
        }
        if (!nodeName.All(IsNodeNameChar))
        {
            throw new FdtNameException(name, $"node name '{name}' has a character outside 0-9 a-z A-Z , . _ + -");
        }
        if (at >= 0)
        {
            string unit = name[(at + 1)..];
            if (unit.Length == 0 || !unit.All(IsNodeNameChar))
            {
                throw new FdtNameException(name, $"node name '{name}': the unit address after '@' must be one or more of 0-9 a-z A-Z , . _ + -");
            }
        }
    }

    private static void CheckPropertyName(string name)
    {
        if (name.Length is 0 or > MaxNameLength)
        {
            throw new FdtNameException(name, $"property name '{name}' must be 1 to {MaxNameLength} characters");
        }
        if (!name.All(IsPropertyNameChar))
        {
            throw new FdtNameException(name, $"property name '{name}' has a character outside 0-9 a-z A-Z , . _ + ? # -");
        }
    }

    private sealed class OpenNode(string name)
    {
        public string Name { get; } = name;

        public HashSet<string> Properties { get; } = new(StringComparer.Ordinal);

        public HashSet<string> Children { get; } = new(StringComparer.Ordinal);

        public bool HasChild { get; set; }
    }
}
