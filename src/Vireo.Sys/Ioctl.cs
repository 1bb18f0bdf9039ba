namespace Vireo.Sys;

/// <summary>ioctl with errno turned into <see cref="ErrnoException"/> naming the request.</summary>
public static class Ioctl
{
    /// <summary>An ioctl whose argument is a value (or none).</summary>
    public static int Invoke(SafeFd fd, nuint request, nint arg, string name)
    {
        int result = Interop.Sys.Ioctl(fd, request, arg);
        return result < 0 ? throw ErrnoException.FromLastError(name) : result;
    }

    /// <summary>An ioctl whose argument points at <paramref name="arg"/>.</summary>
    public static unsafe int Invoke<T>(SafeFd fd, nuint request, ref T arg, string name)
        where T : unmanaged
    {
        // Safe: arg is pinned for the duration of the call and the kernel reads/writes at most
        // sizeof(T) bytes, which the request number encodes.
        fixed (T* p = &arg)
        {
            return Invoke(fd, request, (nint)p, name);
        }
    }

    /// <summary>An ioctl over a buffer whose size is not a fixed struct (flexible array members).</summary>
    public static unsafe int Invoke(SafeFd fd, nuint request, Span<byte> buffer, string name)
    {
        // Safe: the buffer is pinned for the call; callers size it for the header plus entries.
        fixed (byte* p = buffer)
        {
            return Invoke(fd, request, (nint)p, name);
        }
    }

    /// <summary>Like <see cref="Invoke{T}(SafeFd, nuint, ref T, string)"/> but returns -errno instead of throwing.</summary>
    public static unsafe int TryInvoke<T>(SafeFd fd, nuint request, ref T arg)
        where T : unmanaged
    {
        // Safe: as in Invoke<T>, arg is pinned for the call.
        fixed (T* p = &arg)
        {
            return TryInvoke(fd, request, (nint)p);
        }
    }

    /// <summary>Like <see cref="Invoke(SafeFd, nuint, nint, string)"/> but returns -errno instead
    /// of throwing, for calls where a failure is an expected answer (KVM_RUN's EINTR).</summary>
    public static int TryInvoke(SafeFd fd, nuint request, nint arg)
    {
        int result = Interop.Sys.Ioctl(fd, request, arg);
        return result < 0 ? -System.Runtime.InteropServices.Marshal.GetLastPInvokeError() : result;
    }
}
