namespace Vireo.Sys;

/// <summary>
/// An epoll instance watching descriptors for input (or for the <see cref="EpollEvents"/> asked
/// for), each under a caller-chosen token: one thread can wait on any number of eventfds and
/// sockets without polling. Add/Modify/Remove may be called from any thread while another waits
/// (the kernel serialises them); an event already returned by a Wait for a descriptor removed
/// since is the caller's to ignore.
/// </summary>
public sealed class Epoll : IDisposable
{
    // <sys/epoll.h>
    private const int EpollCloexec = 0x80000;
    private const int EpollCtlAdd = 1;
    private const int EpollCtlDel = 2;
    private const int EpollCtlMod = 3;

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

    /// <summary>Watches <paramref name="fd"/> for input (level-triggered); <see cref="Wait(Span{ulong}, TimeSpan)"/>
    /// reports it as <paramref name="token"/>. EEXIST if it is already watched.</summary>
    public void Add(SafeFd fd, ulong token) => Add(fd, token, EpollEvents.In);

    /// <summary>Watches <paramref name="fd"/> for <paramref name="events"/> (level-triggered);
    /// <see cref="Wait(Span{EpollReady}, TimeSpan)"/> reports it as <paramref name="token"/>. EEXIST
    /// if it is already watched.</summary>
    public void Add(SafeFd fd, ulong token, EpollEvents events) => Control(EpollCtlAdd, fd, token, events, "epoll_ctl(EPOLL_CTL_ADD)");

    /// <summary>Changes what a watched <paramref name="fd"/> is watched for, and its token; ENOENT
    /// if it is not watched.</summary>
    public void Modify(SafeFd fd, ulong token, EpollEvents events) => Control(EpollCtlMod, fd, token, events, "epoll_ctl(EPOLL_CTL_MOD)");

    private unsafe void Control(int op, SafeFd fd, ulong token, EpollEvents events, string call)
    {
        // Safe: a local struct of the kernel's layout for this architecture, read during the call only.
        int result;
        if (PackedEvents)
        {
            var ev = new Interop.Sys.EpollEventX64 { Events = (uint)events, Data = token };
            result = Interop.Sys.EpollCtl(Handle, op, fd, &ev);
        }
        else
        {
            var ev = new Interop.Sys.EpollEvent { Events = (uint)events, Data = token };
            result = Interop.Sys.EpollCtl(Handle, op, fd, &ev);
        }
        if (result != 0)
        {
            throw ErrnoException.FromLastError(call);
        }
    }

    // struct epoll_event is packed (12 bytes) on x86-64 and naturally aligned (16) elsewhere;
    // reading one layout where the kernel wrote the other yields wrong tokens.
    private static readonly bool PackedEvents = System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.X64;

    // The largest of the two layouts; a buffer of max of these holds max events of either.
    private const int MaxEventSize = 16;

    private static unsafe (ulong Data, uint Events) EventAt(byte* events, int i) => PackedEvents
        ? (((Interop.Sys.EpollEventX64*)events)[i].Data, ((Interop.Sys.EpollEventX64*)events)[i].Events)
        : (((Interop.Sys.EpollEvent*)events)[i].Data, ((Interop.Sys.EpollEvent*)events)[i].Events);

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
        byte* events = stackalloc byte[max * MaxEventSize];
        int n = WaitCore(events, max, timeout);
        for (int i = 0; i < n; i++)
        {
            tokens[i] = EventAt(events, i).Data;
        }
        return n;
    }

    /// <summary>Waits as <see cref="Wait(Span{ulong}, TimeSpan)"/> does, and also reports what
    /// each descriptor is ready for (errors and hang-ups included).</summary>
    public unsafe int Wait(Span<EpollReady> ready, TimeSpan timeout)
    {
        if (ready.IsEmpty)
        {
            throw new ArgumentException("room for at least one event is needed", nameof(ready));
        }
        int max = Math.Min(ready.Length, 64);
        byte* events = stackalloc byte[max * MaxEventSize];
        int n = WaitCore(events, max, timeout);
        for (int i = 0; i < n; i++)
        {
            (ulong data, uint kinds) = EventAt(events, i);
            ready[i] = new EpollReady(data, (EpollEvents)kinds);
        }
        return n;
    }

    private unsafe int WaitCore(byte* events, int max, TimeSpan timeout)
    {
        int ms = timeout == Timeout.InfiniteTimeSpan ? -1 : (int)Math.Min(int.MaxValue, Math.Ceiling(timeout.TotalMilliseconds));
        while (true)
        {
            // Safe: the caller's buffer holds max events of either layout and max is what the kernel is told.
            int n = Interop.Sys.EpollWait(Handle, events, max, ms);
            if (n >= 0)
            {
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
