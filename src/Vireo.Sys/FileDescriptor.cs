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
        // Safe: the buffer is the full size of struct stat on this ABI.
        if (Interop.Sys.Fstat(fd, stat) != 0)
        {
            throw ErrnoException.FromLastError("fstat");
        }
        return *(long*)(stat + Interop.Sys.StatSizeOffset);
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
}
