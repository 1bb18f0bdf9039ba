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
    public static unsafe bool WaitReadable(SafeFd fd, TimeSpan timeout)
    {
        bool added = false;
        try
        {
            fd.DangerousAddRef(ref added);
            var pfd = new Interop.Sys.PollFd { Fd = fd.DangerousGetFd(), Events = PollIn };
            int ms = timeout == Timeout.InfiniteTimeSpan ? -1 : (int)Math.Min(int.MaxValue, Math.Ceiling(timeout.TotalMilliseconds));
            while (true)
            {
                // Safe: one pollfd on the stack, count 1.
                int n = Interop.Sys.Poll(&pfd, 1, ms);
                if (n >= 0)
                {
                    return n > 0 && (pfd.REvents & PollIn) != 0;
                }
                int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
                if (errno != Errno.EINTR)
                {
                    throw new ErrnoException(errno, "poll");
                }
            }
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
    public static unsafe int WaitAny(ReadOnlySpan<SafeFd> fds, Span<bool> ready, TimeSpan timeout)
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
            int ms = timeout == Timeout.InfiniteTimeSpan ? -1 : (int)Math.Min(int.MaxValue, Math.Ceiling(timeout.TotalMilliseconds));
            while (true)
            {
                int n;
                fixed (Interop.Sys.PollFd* p = pfds)
                {
                    // Safe: the array is pinned and its length is the count passed.
                    n = Interop.Sys.Poll(p, (nuint)pfds.Length, ms);
                }
                if (n >= 0)
                {
                    int count = 0;
                    for (int i = 0; i < fds.Length; i++)
                    {
                        ready[i] = (pfds[i].REvents & (PollIn | PollErr | PollHup | PollNval)) != 0;
                        count += ready[i] ? 1 : 0;
                    }
                    return count;
                }
                int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
                if (errno != Errno.EINTR)
                {
                    throw new ErrnoException(errno, "poll");
                }
            }
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
}
