namespace Vireo.Sys;

/// <summary>poll(2) over a few descriptors.</summary>
public static class Poller
{
    private const short PollIn = 0x001;

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
}
