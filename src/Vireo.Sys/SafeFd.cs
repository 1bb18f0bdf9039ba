using System.Runtime.InteropServices;

namespace Vireo.Sys;

/// <summary>An owned file descriptor, closed exactly once when released.</summary>
public sealed class SafeFd : SafeHandle
{
    /// <summary>
    /// An invalid handle, for the interop marshaller to fill with the returned descriptor.
    /// </summary>
    public SafeFd()
        : base(invalidHandleValue: -1, ownsHandle: true)
    {
    }

    // Native calls return a C int, which the marshaller widens into the handle as a pointer-sized
    // value with unspecified upper bits (x86-64 SysV leaves them undefined), so only the low 32
    // bits are the descriptor: -1 read as a pointer can be 0x00000000ffffffff.
    /// <inheritdoc/>
    public override bool IsInvalid => Fd < 0;

    private int Fd => unchecked((int)(long)handle);

    /// <inheritdoc/>
    protected override bool ReleaseHandle() => Interop.Sys.Close(Fd) == 0;

    /// <summary>Opens <paramref name="path"/> with O_CLOEXEC added to <paramref name="flags"/>.</summary>
    public static SafeFd Open(string path, OpenFlags flags)
    {
        SafeFd fd = Interop.Sys.Open(path, (int)(flags | OpenFlags.CloseOnExec), 0);
        if (fd.IsInvalid)
        {
            int errno = Marshal.GetLastPInvokeError();
            fd.Dispose();
            throw new ErrnoException(errno, $"open {path}");
        }
        return fd;
    }

    /// <summary>Takes ownership of a descriptor returned by a kernel call (e.g. KVM_CREATE_VM).</summary>
    public static SafeFd FromOwned(int fd)
    {
        var safe = new SafeFd();
        safe.SetHandle(fd);
        return safe;
    }

    /// <summary>A handle on a descriptor the process holds for good elsewhere (0, 1, 2): the
    /// handle uses it and never closes it.</summary>
    public static SafeFd Borrow(int fd)
    {
        var safe = new SafeFd(ownsHandle: false);
        safe.SetHandle(fd);
        return safe;
    }

    private SafeFd(bool ownsHandle)
        : base(invalidHandleValue: -1, ownsHandle)
    {
    }

    /// <summary>The descriptor number, for building kernel structs that carry fds.
    /// Valid only while the caller keeps this handle alive.</summary>
    public int DangerousGetFd() => Fd;
}
