using System.Runtime.InteropServices;
using System.Text;

namespace Vireo.Sys;

/// <summary>
/// Raw system calls made on purpose, to prove a confinement: each returns the errno the kernel
/// (or a seccomp filter) answered, 0 for success, and closes any descriptor it got. Only calls
/// that cannot harm the caller when they are allowed are offered.
/// </summary>
public static class SyscallProbe
{
    /// <summary>socket(<paramref name="family"/>, SOCK_STREAM | SOCK_CLOEXEC, 0).</summary>
    public static int Socket(int family) => Closing(Interop.Sys.Syscall3(LinuxSyscalls.Number("socket"), (ulong)family, 1 | 0x80000, 0));

    /// <summary>eventfd2(0, EFD_CLOEXEC).</summary>
    public static int EventFd() => Closing(Interop.Sys.Syscall3(LinuxSyscalls.Number("eventfd2"), 0, 0x80000, 0));

    /// <summary>openat(AT_FDCWD, <paramref name="path"/>, <paramref name="flags"/> | O_CLOEXEC, 0600).</summary>
    public static unsafe int OpenAt(string path, int flags)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* p = bytes)
        {
            // SAFETY: the path is pinned and NUL-terminated for the call.
            return Closing(Interop.Sys.Syscall4(LinuxSyscalls.Number("openat"), unchecked((ulong)-100L) /* AT_FDCWD */, (ulong)p, (ulong)(flags | 0x80000), 0x180));
        }
    }

    /// <summary>execve(<paramref name="path"/>, NULL, NULL): pass a path that does not exist, so
    /// that an allowed call fails with ENOENT instead of replacing the process.</summary>
    public static unsafe int Execve(string path)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* p = bytes)
        {
            // SAFETY: the path is pinned and NUL-terminated; null argv and envp are allowed by Linux.
            return Errno(Interop.Sys.Syscall3(LinuxSyscalls.Number("execve"), (ulong)p, 0, 0));
        }
    }

    /// <summary>ioctl(<paramref name="fd"/>, <paramref name="request"/>, 0) on a descriptor the
    /// caller owns (e.g. /dev/null, where every request fails with ENOTTY once it passes the filter).</summary>
    public static int Ioctl(SafeFd fd, nuint request)
    {
        ArgumentNullException.ThrowIfNull(fd);
        bool added = false;
        try
        {
            fd.DangerousAddRef(ref added);
            return Errno(Interop.Sys.Syscall3(LinuxSyscalls.Number("ioctl"), (ulong)fd.DangerousGetHandle(), request, 0));
        }
        finally
        {
            if (added)
            {
                fd.DangerousRelease();
            }
        }
    }

    /// <summary>A syscall without pointer arguments (e.g. getpid, or umount2 of nothing).</summary>
    public static int Call(string name, ulong arg1 = 0, ulong arg2 = 0, ulong arg3 = 0) =>
        Errno(Interop.Sys.Syscall3(LinuxSyscalls.Number(name), arg1, arg2, arg3));

    private static int Errno(long result) => result < 0 ? Marshal.GetLastPInvokeError() : 0;

    private static int Closing(long result)
    {
        if (result < 0)
        {
            return Marshal.GetLastPInvokeError();
        }
        Interop.Sys.Close((int)result);
        return 0;
    }
}
