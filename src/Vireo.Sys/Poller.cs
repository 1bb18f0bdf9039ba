namespace Vireo.Sys;

/// <summary>poll(2) over a few descriptors.</summary>
public static class Poller
{
    // <poll.h>: POLLIN 0x001, POLLERR 0x008, POLLHUP 0x010, POLLNVAL 0x020.
    private const short PollIn = 0x001;
    private const short PollErr = 0x008;
    private const short PollHup = 0x010;
    private const short PollNval = 0x020;

    /// <summary>True when <paramref name="fd"/> is readable before the timeout.</summary>
    public static bool WaitReadable(SafeFd fd, TimeSpan timeout)
    {
        bool added = false;
        try
        {
            fd.DangerousAddRef(ref added);
            Span<Interop.Sys.PollFd> pfd = [new Interop.Sys.PollFd { Fd = fd.DangerousGetFd(), Events = PollIn }];
            return Poll(pfd, timeout) > 0 && (pfd[0].REvents & PollIn) != 0;
        }
        finally
        {
            if (added)
            {
                fd.DangerousRelease();
            }
        }
    }

    /// <summary>Waits until at least one of <paramref name="fds"/> is readable, hung up or in
    /// error (so a reader sees end of stream or the error rather than the wait hanging), or the
    /// timeout passes. Sets <paramref name="ready"/>[i] for each such descriptor; returns how many.</summary>
    public static int WaitAny(ReadOnlySpan<SafeFd> fds, Span<bool> ready, TimeSpan timeout)
    {
        if (ready.Length < fds.Length)
        {
            throw new ArgumentException("ready must have a slot per descriptor", nameof(ready));
        }
        var pfds = new Interop.Sys.PollFd[fds.Length];
        var added = new bool[fds.Length];
        try
        {
            for (int i = 0; i < fds.Length; i++)
            {
                fds[i].DangerousAddRef(ref added[i]);
                pfds[i] = new Interop.Sys.PollFd { Fd = fds[i].DangerousGetFd(), Events = PollIn };
            }
            Poll(pfds, timeout);
            int count = 0;
            for (int i = 0; i < fds.Length; i++)
            {
                ready[i] = (pfds[i].REvents & (PollIn | PollErr | PollHup | PollNval)) != 0;
                count += ready[i] ? 1 : 0;
            }
            return count;
        }
        finally
        {
            for (int i = 0; i < fds.Length; i++)
            {
                if (added[i])
                {
                    fds[i].DangerousRelease();
                }
            }
        }
    }

    /// <summary>poll(2) over <paramref name="pfds"/>, retried on EINTR; returns how many are ready.</summary>
    private static unsafe int Poll(Span<Interop.Sys.PollFd> pfds, TimeSpan timeout)
    {
        int ms = timeout == Timeout.InfiniteTimeSpan ? -1 : (int)Math.Min(int.MaxValue, Math.Ceiling(timeout.TotalMilliseconds));
        while (true)
        {
            int n;
            fixed (Interop.Sys.PollFd* p = pfds)
            {
                // Safe: the span is pinned and its length is the count passed.
                n = Interop.Sys.Poll(p, (nuint)pfds.Length, ms);
            }
            if (n >= 0)
            {
                return n;
            }
            int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            if (errno != Errno.EINTR)
            {
                throw new ErrnoException(errno, "poll");
            }
        }
    }
}
