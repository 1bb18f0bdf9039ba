using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Vireo.Sys;

/// <summary>Durability and space calls on an open file that .NET's <see cref="RandomAccess"/>
/// lacks: fdatasync(2) and fallocate(2) hole punching and zeroing, for disk images.</summary>
public static class FileStorage
{
    // linux/falloc.h
    private const int FallocKeepSize = 0x01;
    private const int FallocPunchHole = 0x02;
    private const int FallocZeroRange = 0x10;

    /// <summary>fdatasync(2): the file's data, and the metadata needed to read it back, reach
    /// stable storage before this returns.</summary>
    /// <exception cref="ErrnoException">The kernel reported a failure (EIO: written-back data was lost).</exception>
    public static void DataSync(SafeFileHandle file)
    {
        ArgumentNullException.ThrowIfNull(file);
        while (Interop.Sys.Fdatasync(file) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno != Errno.EINTR)
            {
                throw new ErrnoException(errno, "fdatasync");
            }
        }
    }

    /// <summary>fallocate(2) FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE: frees the range's blocks,
    /// after which it reads as zeroes; the file's size does not change. False when the file
    /// system cannot punch holes (EOPNOTSUPP, ENOSYS).</summary>
    /// <exception cref="ErrnoException">Any other failure.</exception>
    public static bool TryPunchHole(SafeFileHandle file, long offset, long length)
        => TryFallocate(file, FallocPunchHole | FallocKeepSize, offset, length, "fallocate PUNCH_HOLE");

    /// <summary>fallocate(2) FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE: the range reads as zeroes
    /// and stays allocated, without writing the zeroes. False when the file system cannot
    /// (EOPNOTSUPP, ENOSYS).</summary>
    /// <exception cref="ErrnoException">Any other failure.</exception>
    public static bool TryZeroRange(SafeFileHandle file, long offset, long length)
        => TryFallocate(file, FallocZeroRange | FallocKeepSize, offset, length, "fallocate ZERO_RANGE");

    private static bool TryFallocate(SafeFileHandle file, int mode, long offset, long length, string call)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        while (Interop.Sys.Fallocate(file, mode, offset, length) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            switch (errno)
            {
                case Errno.EINTR:
                    continue;
                case Errno.EOPNOTSUPP or Errno.ENOSYS:
                    return false;
                default:
                    throw new ErrnoException(errno, call);
            }
        }
        return true;
    }
}
