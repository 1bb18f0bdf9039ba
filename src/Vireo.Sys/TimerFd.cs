namespace Vireo.Sys;

/// <summary>A Linux timerfd on CLOCK_MONOTONIC: a descriptor that turns readable when its
/// one-shot deadline passes, so a deadline can sit in the same epoll as sockets and eventfds.</summary>
public sealed class TimerFd : IDisposable
{
    // <linux/time.h> CLOCK_MONOTONIC; <sys/timerfd.h> TFD_NONBLOCK, TFD_CLOEXEC.
    private const int ClockMonotonic = 1;
    private const int TfdNonblock = 0x800;
    private const int TfdCloexec = 0x80000;

    private TimerFd(SafeFd fd)
    {
        Handle = fd;
    }

    /// <summary>The owned descriptor, to watch for input.</summary>
    public SafeFd Handle { get; }

    /// <summary>timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC), disarmed.</summary>
    public static TimerFd Create()
    {
        SafeFd fd = Interop.Sys.TimerFdCreate(ClockMonotonic, TfdNonblock | TfdCloexec);
        if (fd.IsInvalid)
        {
            fd.Dispose();
            throw ErrnoException.FromLastError("timerfd_create");
        }
        return new TimerFd(fd);
    }

    /// <summary>Arms the timer to expire once, <paramref name="delay"/> from now (a delay of zero
    /// or less expires at once), replacing any deadline set before.</summary>
    public void Arm(TimeSpan delay)
    {
        // A zero it_value would disarm: the shortest real deadline is one nanosecond.
        long nanoseconds = Math.Max(1, delay.Ticks * 100);
        SetTime(new Interop.Sys.TimeSpec { Seconds = nanoseconds / 1_000_000_000, Nanoseconds = nanoseconds % 1_000_000_000 }, "timerfd_settime");
    }

    /// <summary>Disarms the timer; an expiry not read yet stays readable until <see cref="TryRead"/>.</summary>
    public void Disarm() => SetTime(default, "timerfd_settime (disarm)");

    /// <summary>Reads and resets the expiry count; 0 if the timer has not expired since the last read.</summary>
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
        return errno == Errno.EAGAIN ? 0UL : throw new ErrnoException(errno, "timerfd read");
    }

    /// <summary>Closes the timer.</summary>
    public void Dispose() => Handle.Dispose();

    private unsafe void SetTime(Interop.Sys.TimeSpec value, string call)
    {
        var spec = new Interop.Sys.ITimerSpec { Value = value };
        // Safe: a local struct of the kernel's layout, read during the call only; no old value asked.
        if (Interop.Sys.TimerFdSetTime(Handle, 0, &spec, null) != 0)
        {
            throw ErrnoException.FromLastError(call);
        }
    }
}
