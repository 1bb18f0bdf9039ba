namespace Vireo.Sys;

/// <summary>
/// An epoll instance watching descriptors for input, each under a caller-chosen token: one
/// thread can wait on any number of eventfds without polling. Add/Remove may be called from any
/// thread while another waits (the kernel serialises them); an event already returned by
/// <see cref="Wait"/> for a descriptor removed since is the caller's to ignore.
/// </summary>
public sealed class Epoll : IDisposable
{
    // <sys/epoll.h>
    private const int EpollCloexec = 0x80000;
    private const int EpollCtlAdd = 1;
    private const int EpollCtlDel = 2;
    private const uint EpollIn = 0x001;
    private const uint EpollEt = 1u << 31;

    private Epoll(SafeFd fd)
    {
        Handle = fd;
    }

    /// <summary>The epoll descriptor.</summary>
    public SafeFd Handle { get; }

    /// <summary>epoll_create1(EPOLL_CLOEXEC).</summary>
    public static Epoll Create()
    {
        SafeFd fd = Interop.Sys.EpollCreate1(EpollCloexec);
        if (fd.IsInvalid)
        {
            fd.Dispose();
            throw ErrnoException.FromLastError("epoll_create1");
        }
        return new Epoll(fd);
    }

    /// <summary>Watches <paramref name="fd"/> for input; <see cref="Wait"/> reports it as
    /// <paramref name="token"/>. Level-triggered, unless <paramref name="edgeTriggered"/>
    /// (EPOLLET): then it is reported once each time input arrives, so a reader that stops before
    /// it drained the descriptor (a device with no guest buffer for the next frame) is not woken
    /// again for what is already there. EEXIST if it is already watched.</summary>
    public unsafe void Add(SafeFd fd, ulong token, bool edgeTriggered = false)
    {
        var ev = new Interop.Sys.EpollEvent { Events = EpollIn | (edgeTriggered ? EpollEt : 0), Data = token };
        // Safe: a local struct of the kernel's layout, read during the call only.
        if (Interop.Sys.EpollCtl(Handle, EpollCtlAdd, fd, &ev) != 0)
        {
            throw ErrnoException.FromLastError("epoll_ctl(EPOLL_CTL_ADD)");
        }
    }

    /// <summary>Stops watching <paramref name="fd"/>; ENOENT if it was not watched.</summary>
    public unsafe void Remove(SafeFd fd)
    {
        // Safe: kernels since 2.6.9 accept a null event for EPOLL_CTL_DEL.
        if (Interop.Sys.EpollCtl(Handle, EpollCtlDel, fd, null) != 0)
        {
            throw ErrnoException.FromLastError("epoll_ctl(EPOLL_CTL_DEL)");
        }
    }

    /// <summary>Waits until at least one watched descriptor is readable or the timeout passes
    /// (<see cref="Timeout.InfiniteTimeSpan"/> waits for ever); writes the ready tokens to
    /// <paramref name="tokens"/> and returns how many. Retries on EINTR.</summary>
    public unsafe int Wait(Span<ulong> tokens, TimeSpan timeout)
    {
        if (tokens.IsEmpty)
        {
            throw new ArgumentException("room for at least one token is needed", nameof(tokens));
        }
        int max = Math.Min(tokens.Length, 64);
        Interop.Sys.EpollEvent* events = stackalloc Interop.Sys.EpollEvent[max];
        int ms = timeout == Timeout.InfiniteTimeSpan ? -1 : (int)Math.Min(int.MaxValue, Math.Ceiling(timeout.TotalMilliseconds));
        while (true)
        {
            // Safe: the buffer holds max events and max is what the kernel is told.
            int n = Interop.Sys.EpollWait(Handle, events, max, ms);
            if (n >= 0)
            {
                for (int i = 0; i < n; i++)
                {
                    tokens[i] = events[i].Data;
                }
                return n;
            }
            int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            if (errno != Errno.EINTR)
            {
                throw new ErrnoException(errno, "epoll_wait");
            }
        }
    }

    /// <summary>Closes the instance; watched descriptors are unaffected.</summary>
    public void Dispose() => Handle.Dispose();
}
