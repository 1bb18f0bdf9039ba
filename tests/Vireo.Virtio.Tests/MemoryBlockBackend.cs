namespace Vireo.Virtio.Tests;

/// <summary>A disk in a byte array that records what the device asked of it and can be told to fail.</summary>
public sealed class MemoryBlockBackend(int size, bool readOnly = false) : IBlockBackend
{
    public byte[] Data { get; } = new byte[size];

    public List<string> Calls { get; } = [];

    public int Flushes { get; private set; }

    /// <summary>The next call throws IOException.</summary>
    public bool FailNext { get; set; }

    public long Size => Data.Length;

    public bool ReadOnly { get; } = readOnly;

    public void ReadAt(long offset, Span<byte> data)
    {
        Record($"read {offset} {data.Length}");
        Data.AsSpan((int)offset, data.Length).CopyTo(data);
    }

    public void WriteAt(long offset, ReadOnlySpan<byte> data)
    {
        Record($"write {offset} {data.Length}");
        data.CopyTo(Data.AsSpan((int)offset));
    }

    public void Flush()
    {
        Record("flush");
        Flushes++;
    }

    public void Discard(long offset, long length)
    {
        Record($"discard {offset} {length}");
        Data.AsSpan((int)offset, (int)length).Fill(0xdd);
    }

    public void WriteZeroes(long offset, long length, bool unmap)
    {
        Record($"zeroes {offset} {length} {(unmap ? "unmap" : "keep")}");
        Data.AsSpan((int)offset, (int)length).Clear();
    }

    private void Record(string call)
    {
        Assert.False(ReadOnly && !call.StartsWith("read", StringComparison.Ordinal) && call != "flush", $"{call} on a read-only disk");
        Calls.Add(call);
        if (FailNext)
        {
            FailNext = false;
            throw new IOException($"{call}: injected failure");
        }
    }
}
