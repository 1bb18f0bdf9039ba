using Microsoft.Win32.SafeHandles;
using Vireo.TestSupport;

namespace Vireo.Sys.Tests;

/// <summary>O_DIRECT through fcntl and the alignment statx reports, on real files.</summary>
public sealed class DirectIoTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"vireo-direct-{Guid.NewGuid():n}");

    public DirectIoTests() => File.WriteAllBytes(_path, new byte[65536]);

    public void Dispose() => File.Delete(_path);

    [GccFact]
    public void Constants_match_the_C_headers()
    {
        CLayoutOracle oracle = CLayoutOracle.Run(["fcntl.h", "sys/stat.h", "linux/fs.h"], [], ["O_DIRECT", "STATX_DIOALIGN", "STATX_TYPE", "AT_EMPTY_PATH", "BLKSSZGET", "S_IFBLK"]);

        Assert.Equal((ulong)OpenFlags.Direct, oracle.Macro("O_DIRECT"));
        Assert.Equal(Interop.Sys.StatxDioAlign, oracle.Macro("STATX_DIOALIGN"));
        Assert.Equal(Interop.Sys.StatxType, oracle.Macro("STATX_TYPE"));
        Assert.Equal((ulong)Interop.Sys.AtEmptyPath, oracle.Macro("AT_EMPTY_PATH"));
        Assert.Equal(0x1268UL, oracle.Macro("BLKSSZGET"));
        Assert.Equal(Interop.Sys.StatBlockDevice, oracle.Macro("S_IFBLK"));
    }

    [Fact]
    public void Direct_io_is_set_and_cleared_on_the_open_file()
    {
        using SafeFileHandle file = File.OpenHandle(_path, FileMode.Open, FileAccess.ReadWrite);

        FileStorage.SetDirectIo(file, true);
        Assert.True(HasDirect(file));
        FileStorage.SetDirectIo(file, true);
        Assert.True(HasDirect(file));
        FileStorage.SetDirectIo(file, false);
        Assert.False(HasDirect(file));
    }

    [Fact]
    public void A_file_that_cannot_do_direct_io_refuses_it_with_EINVAL()
    {
        // procfs has no direct I/O on any kernel.
        using SafeFileHandle file = File.OpenHandle("/proc/version", FileMode.Open, FileAccess.Read);

        ErrnoException e = Assert.Throws<ErrnoException>(() => FileStorage.SetDirectIo(file, true));

        Assert.Equal(Errno.EINVAL, e.Errno);
        Assert.False(HasDirect(file));
    }

    [Fact]
    public void The_alignment_of_a_temp_file_is_a_power_of_two_up_to_a_page()
    {
        using SafeFileHandle file = File.OpenHandle(_path, FileMode.Open, FileAccess.Read);

        DirectIoAlignment? alignment = FileStorage.GetDirectIoAlignment(file);

        // ext4 and xfs report the device's logical block size (statx STATX_DIOALIGN); the
        // fallback is 4096.
        DirectIoAlignment known = Assert.NotNull(alignment);
        Assert.True(int.IsPow2(known.Offset) && known.Offset is >= 512 and <= 4096, $"{known}");
        Assert.True(int.IsPow2(known.Memory) && known.Memory <= 4096, $"{known}");
    }

    // /proc/self/fdinfo/N: "flags:" in octal, with O_DIRECT 040000.
    private static bool HasDirect(SafeFileHandle file)
    {
        string info = File.ReadAllText($"/proc/self/fdinfo/{file.DangerousGetHandle()}");
        string flags = info.Split('\n').Single(l => l.StartsWith("flags:", StringComparison.Ordinal))["flags:".Length..].Trim();
        return (Convert.ToInt32(flags, 8) & (int)OpenFlags.Direct) != 0;
    }
}
