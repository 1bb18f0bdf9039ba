namespace Vireo.Sys;

/// <summary>A Linux eventfd: a 64-bit counter that KVM (irqfd, ioeventfd) and device
/// servers signal across the kernel boundary.</summary>
public sealed class EventFd : IDisposable
{
    private const int EfdCloexec = 0x80000;
    private const int EfdNonblock = 0x800;

    private EventFd(SafeFd fd)
    {
        Handle = fd;
    }

    /// <summary>
    /// The owned descriptor, to register with KVM (irqfd, ioeventfd) or pass to another process.
    /// </summary>
    public SafeFd Handle { get; }

    /// <summary>
    /// eventfd(2) with a zero counter and close-on-exec; non-blocking unless <paramref
    /// name="nonBlocking"/> is false (readers then block until signalled).
    /// </summary>
    public static EventFd Create(bool nonBlocking = true)
    {
        SafeFd fd = Interop.Sys.EventFd(0, EfdCloexec | (nonBlocking ? EfdNonblock : 0));
        if (fd.IsInvalid)
        {
            fd.Dispose();
            throw ErrnoException.FromLastError("eventfd");
        }
        return new EventFd(fd);
    }

    /// <summary>Wraps an eventfd received from another process.</summary>
    public static EventFd FromHandle(SafeFd fd) => new(fd);

    /// <summary>
    /// Adds <paramref name="value"/> to the counter, waking any reader; throws <see
    /// cref="ErrnoException"/> if the write fails (EAGAIN when the counter would overflow).
    /// </summary>
    public unsafe void Signal(ulong value = 1)
    {
        // Safe: an 8-byte local is passed with its exact size.
        nint n = Interop.Sys.Write(Handle, (byte*)&value, sizeof(ulong));
        if (n != sizeof(ulong))
        {
            throw ErrnoException.FromLastError("eventfd write");
        }
    }

    /// <summary>Reads and resets the counter; returns 0 if it was not signalled (non-blocking fd).</summary>
    public unsafe ulong TryRead()
    {
        ulong value = 0;
        // Safe: an 8-byte local is passed with its exact size.
        nint n = Interop.Sys.Read(Handle, (byte*)&value, sizeof(ulong));
        if (n == sizeof(ulong))
        {
            return value;
        }
        int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
        return errno == Errno.EAGAIN ? 0UL : throw new ErrnoException(errno, "eventfd read");
    }

    /// <summary>Waits until signalled or the timeout passes; returns the counter or 0.</summary>
    public ulong Wait(TimeSpan timeout)
    {
        return Poller.WaitReadable(Handle, timeout) ? TryRead() : 0;
    }

    /// <summary>Closes the eventfd; KVM bindings using it must be removed first.</summary>
    public void Dispose() => Handle.Dispose();
}
