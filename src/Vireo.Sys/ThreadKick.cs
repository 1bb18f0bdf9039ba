namespace Vireo.Sys;

/// <summary>
/// Interrupts a thread that is blocked inside an ioctl (KVM_RUN) without a signal handler:
/// the kick signal is blocked in the thread, unblocked only for the duration of KVM_RUN through
/// KVM_SET_SIGNAL_MASK, and drained with sigtimedwait afterwards. A kick sent while the thread
/// is outside KVM_RUN stays pending, so the next KVM_RUN returns EINTR at once: no kick is lost.
/// </summary>
public sealed class ThreadKick
{
    private const int SigBlock = 0;

    private readonly nuint _thread;

    private ThreadKick(nuint thread)
    {
        _thread = thread;
    }

    /// <summary>SIGUSR2. A standard signal, not a real-time one, on purpose: standard signals
    /// do not queue (a second kick while one is pending is merged into it), so kicks a vCPU has
    /// not drained yet can never fill the process's RLIMIT_SIGPENDING and make pthread_kill
    /// fail with EAGAIN. The signal is never unblocked outside KVM_RUN, so no handler runs.</summary>
    public static int Signal { get; } = 12;

    /// <summary>Called on the thread to be kicked: blocks the kick signal there and returns
    /// the handle other threads use, plus the kernel signal mask (64-bit) to run KVM with.</summary>
    public static unsafe ThreadKick ForCurrentThread(out ulong runMask)
    {
        Interop.Sys.SigSet set = default;
        Interop.Sys.SigSet old = default;
        set[0] = 1UL << (Signal - 1);
        // Safe: both sets are full-size glibc sigset_t locals.
        int err = Interop.Sys.PthreadSigmask(SigBlock, &set, &old);
        if (err != 0)
        {
            throw new ErrnoException(err, "pthread_sigmask");
        }
        runMask = old[0] & ~(1UL << (Signal - 1));
        return new ThreadKick(Interop.Sys.PthreadSelf());
    }

    /// <summary>Sends the kick. Harmless if the thread is not in KVM_RUN (it stays pending).</summary>
    public void Kick()
    {
        int err = Interop.Sys.PthreadKill(_thread, Signal);
        if (err != 0)
        {
            throw new ErrnoException(err, "pthread_kill");
        }
    }

    /// <summary>Called on the kicked thread: consumes pending kicks so the next KVM_RUN runs.</summary>
    public static unsafe void DrainCurrentThread()
    {
        Interop.Sys.SigSet set = default;
        set[0] = 1UL << (Signal - 1);
        var zero = default(Interop.Sys.TimeSpec);
        // Safe: set and timeout are stack locals of the sizes glibc expects.
        while (Interop.Sys.SigTimedWait(&set, 0, &zero) > 0)
        {
        }
    }
}
