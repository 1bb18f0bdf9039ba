using System.Runtime.InteropServices;

namespace Vireo.Sys;

/// <summary>Operations on any descriptor: duplicate, size, resize.</summary>
public static class FileDescriptor
{
    // asm-generic/fcntl.h
    private const int FDupFdCloexec = 1030;
    private const int FGetFl = 3;
    private const int FSetFl = 4;
    private const int ONonblock = 0x800;

    // linux/fcntl.h: file sealing (memfd_create(2), fcntl(2) "File Sealing").
    private const int FAddSeals = 1033;
    private const int FGetSeals = 1034;
    private const int FSealShrink = 0x0002;

    /// <summary>A new descriptor for the same open file (F_DUPFD_CLOEXEC), owned separately.</summary>
    public static SafeFd Duplicate(SafeFd fd)
    {
        int result = Interop.Sys.FcntlDupCloexec(fd, FDupFdCloexec, 0);
        return result < 0 ? throw ErrnoException.FromLastError("fcntl F_DUPFD_CLOEXEC") : SafeFd.FromOwned(result);
    }

    /// <summary>Sets O_NONBLOCK. It belongs to the open file, so every process holding the file
    /// sees it: use it on descriptors whose other holders only write (an eventfd's signaller),
    /// so a reader that polled can never block because someone else read first.</summary>
    public static void SetNonBlocking(SafeFd fd)
    {
        int flags = Interop.Sys.FcntlFlags(fd, FGetFl, 0);
        if (flags < 0)
        {
            throw ErrnoException.FromLastError("fcntl F_GETFL");
        }
        if ((flags & ONonblock) == 0 && Interop.Sys.FcntlFlags(fd, FSetFl, flags | ONonblock) < 0)
        {
            throw ErrnoException.FromLastError("fcntl F_SETFL");
        }
    }

    /// <summary>True when O_NONBLOCK is set on <paramref name="fd"/> (fcntl F_GETFL).</summary>
    public static bool IsNonBlocking(SafeFd fd)
    {
        int flags = Interop.Sys.FcntlFlags(fd, FGetFl, 0);
        return flags < 0 ? throw ErrnoException.FromLastError("fcntl F_GETFL") : (flags & ONonblock) != 0;
    }

    /// <summary>st_size from fstat(2).</summary>
    public static unsafe long GetSize(SafeFd fd)
    {
        byte* stat = stackalloc byte[Interop.Sys.StatSize];
        Fstat(fd, stat);
        return *(long*)(stat + Interop.Sys.StatSizeOffset);
    }

    /// <summary>Whether fstat(2) says <paramref name="fd"/> is a regular file (a memfd is one): the
    /// kind whose mapping past its end succeeds and faults (SIGBUS) only when touched, unlike a
    /// device file (a VFIO device), whose mmap refuses a range it does not have.</summary>
    public static unsafe bool IsRegularFile(SafeFd fd)
    {
        byte* stat = stackalloc byte[Interop.Sys.StatSize];
        Fstat(fd, stat);
        return (*(uint*)(stat + Interop.Sys.StatModeOffset) & Interop.Sys.StatTypeMask) == Interop.Sys.StatRegular;
    }

    private static unsafe void Fstat(SafeFd fd, byte* stat)
    {
        // Safe: callers pass a buffer the full size of struct stat on this ABI.
        if (Interop.Sys.Fstat(fd, stat) != 0)
        {
            throw ErrnoException.FromLastError("fstat");
        }
    }

    /// <summary>ftruncate(2): shrinking a shared file makes every mapping of the cut pages fault
    /// (SIGBUS), in every process that maps it.</summary>
    public static void Truncate(SafeFd fd, ulong size)
    {
        if (Interop.Sys.Ftruncate(fd, checked((long)size)) != 0)
        {
            throw new ErrnoException(Marshal.GetLastPInvokeError(), "ftruncate");
        }
    }

    /// <summary>Makes sure the file can never shrink (F_SEAL_SHRINK), so a mapping of its current
    /// size can never fault with SIGBUS, whatever the other holders do. True when the seal is in
    /// place (already or now); false when the file cannot be sealed (not a memfd/shmem file, or a
    /// memfd made without MFD_ALLOW_SEALING, or sealed against new seals without SHRINK).</summary>
    public static bool TrySealShrink(SafeFd fd)
    {
        int seals = Interop.Sys.FcntlFlags(fd, FGetSeals, 0);
        if (seals < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            return errno == Errno.EINVAL ? false : throw new ErrnoException(errno, "fcntl F_GET_SEALS");
        }
        if ((seals & FSealShrink) != 0)
        {
            return true;
        }
        if (Interop.Sys.FcntlFlags(fd, FAddSeals, FSealShrink) == 0)
        {
            return true;
        }
        int addErrno = Marshal.GetLastPInvokeError();
        return addErrno is Errno.EPERM or Errno.EINVAL ? false : throw new ErrnoException(addErrno, "fcntl F_ADD_SEALS");
    }

    /// <summary>pread(2) until <paramref name="buffer"/> is full or end of file; returns the bytes
    /// read (short only at end of file). Unlike a mapping, a file cut short cannot fault.</summary>
    public static unsafe int ReadAt(SafeFd fd, long offset, Span<byte> buffer)
    {
        int done = 0;
        fixed (byte* bytes = buffer)
        {
            while (done < buffer.Length)
            {
                // Safe: the range lies inside the pinned buffer.
                nint n = Interop.Sys.Pread(fd, bytes + done, (nuint)(buffer.Length - done), offset + done);
                if (n < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == Errno.EINTR)
                    {
                        continue;
                    }
                    throw new ErrnoException(errno, "pread");
                }
                if (n == 0)
                {
                    break;
                }
                done += (int)n;
            }
        }
        return done;
    }

    /// <summary>pwrite(2) of all of <paramref name="data"/>.</summary>
    public static unsafe void WriteAt(SafeFd fd, long offset, ReadOnlySpan<byte> data)
    {
        int done = 0;
        fixed (byte* bytes = data)
        {
            while (done < data.Length)
            {
                // Safe: the range lies inside the pinned data.
                nint n = Interop.Sys.Pwrite(fd, bytes + done, (nuint)(data.Length - done), offset + done);
                if (n < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == Errno.EINTR)
                    {
                        continue;
                    }
                    throw new ErrnoException(errno, "pwrite");
                }
                done += (int)n;
            }
        }
    }
}
