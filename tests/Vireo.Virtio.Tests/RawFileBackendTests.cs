using Vireo.Sys;

namespace Vireo.Virtio.Tests;

/// <summary>The raw image backend on real temporary files.</summary>
public sealed class RawFileBackendTests
{
    [Fact]
    public void Reads_and_writes_land_at_their_byte_offsets()
    {
        using var image = new TempImage(8192);
        byte[] data = TempImage.Pattern(1000, seed: 3);
        using (var backend = new RawFileBackend(image.Path))
        {
            Assert.Equal(8192, backend.Size);
            Assert.False(backend.ReadOnly);
            backend.WriteAt(1234, data);
            byte[] back = new byte[3000];
            backend.ReadAt(1000, back);
            Assert.Equal(image.Original.AsSpan(1000, 234).ToArray(), back[..234]);
            Assert.Equal(data, back[234..1234]);
        }
        byte[] expected = (byte[])image.Original.Clone();
        data.CopyTo(expected, 1234);
        Assert.Equal(expected, image.Contents());
    }

    [Fact]
    public void Flush_syncs_a_real_file()
    {
        using var image = new TempImage(4096);
        using var backend = new RawFileBackend(image.Path);
        backend.WriteAt(0, new byte[512]);

        backend.Flush();
    }

    [Fact]
    public void Flush_is_fdatasync_whose_failure_is_an_io_exception()
    {
        // /dev/null has no fsync operation: fdatasync(2) answers EINVAL, which only a real call sees.
        using var backend = new RawFileBackend("/dev/null", readOnly: true);

        IOException e = Assert.Throws<IOException>(backend.Flush);

        ErrnoException errno = Assert.IsType<ErrnoException>(e.InnerException);
        Assert.Equal("fdatasync", errno.Call);
        Assert.Equal(Errno.EINVAL, errno.Errno);
    }

    [Fact]
    public void Discard_and_write_zeroes_leave_zeroes_and_keep_the_size()
    {
        using var image = new TempImage(256 * 1024);
        using (var backend = new RawFileBackend(image.Path))
        {
            backend.Discard(4096, 65536);
            backend.WriteZeroes(100 * 1024, 5000, unmap: false);
            backend.WriteZeroes(200 * 1024, 8192, unmap: true);
            backend.Discard(0, 0);
        }
        byte[] expected = (byte[])image.Original.Clone();
        Array.Clear(expected, 4096, 65536);
        Array.Clear(expected, 100 * 1024, 5000);
        Array.Clear(expected, 200 * 1024, 8192);
        Assert.Equal(expected, image.Contents());
    }

    [Fact]
    public void A_read_only_image_refuses_writes_before_touching_the_file()
    {
        using var image = new TempImage(4096);
        using (var backend = new RawFileBackend(image.Path, readOnly: true))
        {
            Assert.True(backend.ReadOnly);
            Assert.Throws<InvalidOperationException>(() => backend.WriteAt(0, new byte[512]));
            Assert.Throws<InvalidOperationException>(() => backend.Discard(0, 512));
            Assert.Throws<InvalidOperationException>(() => backend.WriteZeroes(0, 512, unmap: true));
            byte[] back = new byte[4096];
            backend.ReadAt(0, back);
            Assert.Equal(image.Original, back);
        }
        Assert.Equal(image.Original, image.Contents());
    }

    [Fact]
    public void Ranges_outside_the_image_are_refused()
    {
        using var image = new TempImage(4096);
        using (var backend = new RawFileBackend(image.Path))
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => backend.ReadAt(4000, new byte[512]));
            Assert.Throws<ArgumentOutOfRangeException>(() => backend.WriteAt(-1, new byte[1]));
            Assert.Throws<ArgumentOutOfRangeException>(() => backend.WriteAt(4000, new byte[512]));
            Assert.Throws<ArgumentOutOfRangeException>(() => backend.Discard(4096, 1));
            Assert.Throws<ArgumentOutOfRangeException>(() => backend.WriteZeroes(long.MaxValue, 2, unmap: false));
        }
        Assert.Equal(image.Original, image.Contents());
    }

    [Fact]
    public void An_image_cut_short_under_the_backend_reads_as_an_io_exception()
    {
        using var image = new TempImage(8192);
        using var backend = new RawFileBackend(image.Path, readOnly: true);
        using (var other = new FileStream(image.Path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
        {
            other.SetLength(4096);
        }

        Assert.Throws<IOException>(() => backend.ReadAt(4096, new byte[512]));
    }

    [Fact]
    public void A_writable_image_cannot_be_opened_twice()
    {
        using var image = new TempImage(4096);
        using var first = new RawFileBackend(image.Path);

        Assert.Throws<IOException>(() => new RawFileBackend(image.Path).Dispose());
        Assert.Throws<IOException>(() => new RawFileBackend(image.Path, readOnly: true).Dispose());
    }

    [Fact]
    public void A_missing_image_is_a_clear_error()
        => Assert.Throws<FileNotFoundException>(() => new RawFileBackend(Path.Combine(Path.GetTempPath(), $"vireo-missing-{Guid.NewGuid():n}.img")));
}
