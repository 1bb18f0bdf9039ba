using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Vireo.Sys;

/// <summary>Durability, space and caching calls on an open file that .NET's <see cref="RandomAccess"/>
/// lacks: fdatasync(2), fallocate(2) hole punching and zeroing, direct I/O (O_DIRECT and its
/// alignment), and preadv(2)/pwritev(2) straight to and from native memory (guest RAM), for disk
/// images.</summary>
public static class FileStorage
{
    /// <summary>IOV_MAX: the most segments one preadv/pwritev takes; longer lists go in several calls.</summary>
    public const int MaxSegmentsPerCall = 1024;

    // linux/falloc.h
    private const int FallocKeepSize = 0x01;
    private const int FallocPunchHole = 0x02;
    private const int FallocZeroRange = 0x10;

    // fcntl commands (asm-generic/fcntl.h).
    private const int FGetFl = 3;
    private const int FSetFl = 4;

    // linux/fs.h BLKSSZGET = _IO(0x12, 104): the logical block size of a block device.
    private const nuint BlkSszGet = 0x1268;

    private const int DefaultDirectIoAlignment = 4096;

    /// <summary>preadv(2) until every byte of <paramref name="segments"/> is filled from
    /// <paramref name="offset"/> on: one call for the whole list unless the kernel returns less
    /// (then again from where it stopped).</summary>
    /// <exception cref="ErrnoException">The kernel reported a failure, or the file ended first
    /// (EIO, naming the offset).</exception>
    public static void ReadAt(SafeFileHandle file, ReadOnlySpan<IoSegment> segments, long offset)
        => Transfer(file, segments, offset, write: false);

    /// <summary>pwritev(2) until every byte of <paramref name="segments"/> is written at
    /// <paramref name="offset"/> on.</summary>
    /// <exception cref="ErrnoException">The kernel reported a failure.</exception>
    public static void WriteAt(SafeFileHandle file, ReadOnlySpan<IoSegment> segments, long offset)
        => Transfer(file, segments, offset, write: true);

    private static unsafe void Transfer(SafeFileHandle file, ReadOnlySpan<IoSegment> segments, long offset, bool write)
    {
        ArgumentNullException.ThrowIfNull(file);
        Interop.Sys.IoVec* iov = stackalloc Interop.Sys.IoVec[Math.Min(Math.Max(segments.Length, 1), MaxSegmentsPerCall)];
        int first = 0;
        int within = 0; // bytes of segments[first] already done
        while (true)
        {
            while (first < segments.Length && within == segments[first].Length)
            {
                first++;
                within = 0;
            }
            if (first == segments.Length)
            {
                return;
            }
            int count = Math.Min(segments.Length - first, MaxSegmentsPerCall);
            for (int i = 0; i < count; i++)
            {
                IoSegment segment = segments[first + i];
                int skip = i == 0 ? within : 0;
                ArgumentOutOfRangeException.ThrowIfNegative(segment.Length, nameof(segments));
                iov[i] = new Interop.Sys.IoVec { Base = (byte*)segment.Address + skip, Length = (nuint)(segment.Length - skip) };
            }
            // Safe: each iovec lies inside a segment the caller says is mapped for the call.
            nint n = write ? Interop.Sys.Pwritev(file, iov, count, offset) : Interop.Sys.Preadv(file, iov, count, offset);
            if (n < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Errno.EINTR)
                {
                    continue;
                }
                throw new ErrnoException(errno, write ? "pwritev" : "preadv");
            }
            if (n == 0)
            {
                throw new ErrnoException(Errno.EIO, string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"{(write ? "pwritev" : "preadv")} (the file ends at byte {offset})"));
            }
            offset += n;
            // Step over what the call moved.
            long left = n;
            while (left > 0)
            {
                int take = (int)Math.Min(left, segments[first].Length - within);
                within += take;
                left -= take;
                if (within == segments[first].Length && left > 0)
                {
                    first++;
                    within = 0;
                }
            }
        }
    }

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

    /// <summary>Sets or clears O_DIRECT on an open file (fcntl F_SETFL), so that its reads and
    /// writes bypass the host page cache and must be aligned (<see cref="GetDirectIoAlignment"/>).</summary>
    /// <exception cref="ErrnoException">EINVAL: the file system (or device) cannot do direct I/O.</exception>
    public static void SetDirectIo(SafeFileHandle file, bool enabled)
    {
        ArgumentNullException.ThrowIfNull(file);
        int flags = Interop.Sys.FcntlFileFlags(file, FGetFl, 0);
        if (flags < 0)
        {
            throw ErrnoException.FromLastError("fcntl F_GETFL");
        }
        int wanted = enabled ? flags | (int)OpenFlags.Direct : flags & ~(int)OpenFlags.Direct;
        if (wanted != flags && Interop.Sys.FcntlFileFlags(file, FSetFl, wanted) != 0)
        {
            throw ErrnoException.FromLastError(enabled ? "fcntl F_SETFL O_DIRECT" : "fcntl F_SETFL ~O_DIRECT");
        }
    }

    /// <summary>What direct I/O on <paramref name="file"/> must be aligned to: statx(2)
    /// STATX_DIOALIGN where the kernel reports it (Linux 6.1, for file systems that implement
    /// it), else the logical block size of a block device (BLKSSZGET), else 4096, which every
    /// Linux file system and disk accepts since logical blocks are at most a page.</summary>
    /// <returns>The alignment, or null when the kernel reports that the file cannot do direct
    /// I/O (STATX_DIOALIGN with zero alignments).</returns>
    /// <exception cref="ErrnoException">statx or ioctl failed.</exception>
    public static unsafe DirectIoAlignment? GetDirectIoAlignment(SafeFileHandle file)
    {
        ArgumentNullException.ThrowIfNull(file);
        byte* statx = stackalloc byte[Interop.Sys.StatxSize];
        new Span<byte>(statx, Interop.Sys.StatxSize).Clear();
        if (Interop.Sys.Statx(file, "", Interop.Sys.AtEmptyPath, Interop.Sys.StatxType | Interop.Sys.StatxDioAlign, statx) != 0)
        {
            throw ErrnoException.FromLastError("statx");
        }
        uint mask = *(uint*)(statx + Interop.Sys.StatxMaskOffset);
        if ((mask & Interop.Sys.StatxDioAlign) != 0)
        {
            uint memory = *(uint*)(statx + Interop.Sys.StatxDioMemAlignOffset);
            uint offset = *(uint*)(statx + Interop.Sys.StatxDioOffsetAlignOffset);
            return offset == 0 ? null : new DirectIoAlignment((int)memory, (int)offset);
        }
        ushort mode = *(ushort*)(statx + Interop.Sys.StatxModeOffset);
        if ((mode & Interop.Sys.StatTypeMask) == Interop.Sys.StatBlockDevice)
        {
            int size;
            if (Interop.Sys.IoctlFileInt(file, BlkSszGet, &size) != 0)
            {
                throw ErrnoException.FromLastError("BLKSSZGET");
            }
            return new DirectIoAlignment(size, size);
        }
        return new DirectIoAlignment(DefaultDirectIoAlignment, DefaultDirectIoAlignment);
    }

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
