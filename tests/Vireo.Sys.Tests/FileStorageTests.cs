using System.Diagnostics;
using System.Globalization;
using Microsoft.Win32.SafeHandles;

namespace Vireo.Sys.Tests;

public sealed class FileStorageTests : IDisposable
{
    private const int Length = 1 << 20;

    private readonly string _path = Path.Combine(Path.GetTempPath(), $"vireo-storage-{Guid.NewGuid():n}");

    public FileStorageTests()
    {
        byte[] data = new byte[Length];
        new Random(5).NextBytes(data);
        File.WriteAllBytes(_path, data);
    }

    public void Dispose() => File.Delete(_path);

    [Fact]
    public void A_punched_hole_reads_as_zeroes_frees_its_blocks_and_keeps_the_size()
    {
        long blocksBefore = AllocatedBlocks();
        byte[] before = File.ReadAllBytes(_path);
        bool punched;
        using (SafeFileHandle file = File.OpenHandle(_path, FileMode.Open, FileAccess.ReadWrite))
        {
            punched = FileStorage.TryPunchHole(file, 65536, 512 * 1024);
            FileStorage.DataSync(file);
        }

        byte[] after = File.ReadAllBytes(_path);
        if (!punched)
        {
            // A file system without holes (false) must have left the file alone.
            Assert.Equal(before, after);
            return;
        }
        Assert.Equal(Length, after.Length);
        Assert.All(after.AsSpan(65536, 512 * 1024).ToArray(), b => Assert.Equal(0, b));
        Assert.NotEqual(0, after[65535]);
        Assert.True(AllocatedBlocks() < blocksBefore, $"{AllocatedBlocks()} 512-byte blocks after the hole, {blocksBefore} before");
    }

    [Fact]
    public void A_zeroed_range_reads_as_zeroes_and_keeps_the_size()
    {
        byte[] before = File.ReadAllBytes(_path);
        bool zeroed;
        using (SafeFileHandle file = File.OpenHandle(_path, FileMode.Open, FileAccess.ReadWrite))
        {
            zeroed = FileStorage.TryZeroRange(file, 1000, 5000);
        }

        byte[] after = File.ReadAllBytes(_path);
        if (!zeroed)
        {
            Assert.Equal(before, after);
            return;
        }
        Assert.Equal(Length, after.Length);
        Assert.All(after.AsSpan(1000, 5000).ToArray(), b => Assert.Equal(0, b));
    }

    [Fact]
    public void Fallocate_on_a_read_only_descriptor_is_an_errno_exception()
    {
        using SafeFileHandle file = File.OpenHandle(_path, FileMode.Open, FileAccess.Read);

        ErrnoException e = Assert.Throws<ErrnoException>(() => FileStorage.TryPunchHole(file, 0, 4096));

        Assert.Equal(Errno.EBADF, e.Errno);
        Assert.Equal("fallocate PUNCH_HOLE", e.Call);
    }

    [Fact]
    public void Data_sync_reaches_the_kernel()
    {
        using (SafeFileHandle file = File.OpenHandle(_path, FileMode.Open, FileAccess.ReadWrite))
        {
            FileStorage.DataSync(file);
        }
        // /dev/null has no fsync operation: only a real fdatasync(2) gets EINVAL back.
        using SafeFileHandle devNull = File.OpenHandle("/dev/null", FileMode.Open, FileAccess.Read);
        ErrnoException e = Assert.Throws<ErrnoException>(() => FileStorage.DataSync(devNull));
        Assert.Equal(Errno.EINVAL, e.Errno);
    }

    private long AllocatedBlocks()
    {
        using var stat = Process.Start(new ProcessStartInfo("stat", ["-c", "%b", _path]) { RedirectStandardOutput = true })!;
        string output = stat.StandardOutput.ReadToEnd();
        stat.WaitForExit();
        return long.Parse(output.Trim(), CultureInfo.InvariantCulture);
    }
}
