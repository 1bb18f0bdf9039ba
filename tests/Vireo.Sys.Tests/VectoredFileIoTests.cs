using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Vireo.Sys.Tests;

/// <summary>FileStorage.ReadAt/WriteAt (preadv/pwritev) on a real file, into and out of native
/// memory, as a disk request's guest buffers use them.</summary>
public sealed unsafe class VectoredFileIoTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"vireo-vectored-{Guid.NewGuid():n}");
    private readonly byte* _memory = (byte*)NativeMemory.AllocZeroed(64 * 1024);

    public void Dispose()
    {
        NativeMemory.Free(_memory);
        File.Delete(_path);
    }

    [Fact]
    public void A_read_fills_each_segment_in_order_from_the_offset_and_a_write_puts_them_back_in_order()
    {
        byte[] data = new byte[8192];
        new Random(3).NextBytes(data);
        File.WriteAllBytes(_path, data);
        // Uneven, out of address order, and one empty: the file's bytes go where the list says.
        IoSegment[] segments = [new((nint)(_memory + 4096), 100), new((nint)_memory, 0), new((nint)_memory, 3000), new((nint)(_memory + 8192), 1)];

        using (SafeFileHandle file = File.OpenHandle(_path, FileMode.Open, FileAccess.ReadWrite))
        {
            FileStorage.ReadAt(file, segments, 10);

            Assert.Equal(data.AsSpan(10, 100).ToArray(), new Span<byte>(_memory + 4096, 100).ToArray());
            Assert.Equal(data.AsSpan(110, 3000).ToArray(), new Span<byte>(_memory, 3000).ToArray());
            Assert.Equal(data[3110], _memory[8192]);

            FileStorage.WriteAt(file, segments, 5000);
        }
        byte[] after = File.ReadAllBytes(_path);
        Assert.Equal(data.AsSpan(10, 3101).ToArray(), after.AsSpan(5000, 3101).ToArray());
        Assert.Equal(data.AsSpan(0, 5000).ToArray(), after.AsSpan(0, 5000).ToArray());
    }

    [Fact]
    public void More_segments_than_one_call_takes_go_in_several_calls()
    {
        int count = FileStorage.MaxSegmentsPerCall + 300;
        byte[] data = new byte[count * 8];
        new Random(4).NextBytes(data);
        File.WriteAllBytes(_path, data);
        // Every 8-byte piece of the file lands 16 bytes apart.
        IoSegment[] segments = Enumerable.Range(0, count).Select(i => new IoSegment((nint)(_memory + (i * 16)), 8)).ToArray();

        using (SafeFileHandle file = File.OpenHandle(_path, FileMode.Open, FileAccess.Read))
        {
            FileStorage.ReadAt(file, segments, 0);
        }

        for (int i = 0; i < count; i++)
        {
            Assert.Equal(data.AsSpan(i * 8, 8).ToArray(), new Span<byte>(_memory + (i * 16), 8).ToArray());
        }
    }

    [Fact]
    public void A_read_past_the_end_of_the_file_is_EIO_naming_where_it_ended()
    {
        File.WriteAllBytes(_path, new byte[1000]);
        using SafeFileHandle file = File.OpenHandle(_path, FileMode.Open, FileAccess.Read);

        ErrnoException e = Assert.Throws<ErrnoException>(() => FileStorage.ReadAt(file, [new IoSegment((nint)_memory, 600), new IoSegment((nint)(_memory + 1024), 600)], 0));

        Assert.Equal(Errno.EIO, e.Errno);
        Assert.Contains("ends at byte 1000", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_failing_call_is_the_kernels_errno()
    {
        File.WriteAllBytes(_path, new byte[1000]);
        using SafeFileHandle file = File.OpenHandle(_path, FileMode.Open, FileAccess.Read);

        // Written through a read-only descriptor: EBADF from pwritev itself.
        ErrnoException e = Assert.Throws<ErrnoException>(() => FileStorage.WriteAt(file, [new IoSegment((nint)_memory, 10)], 0));
        Assert.Equal(Errno.EBADF, e.Errno);
        Assert.Equal("pwritev", e.Call);
    }
}
