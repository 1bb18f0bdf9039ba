using System.Runtime.InteropServices;

namespace Vireo.Sys;

internal static partial class Interop
{
    internal static partial class Sys
    {
        // struct itimerspec from <time.h>: two struct timespec (Interop.Signals.cs).
        [StructLayout(LayoutKind.Sequential)]
        internal struct ITimerSpec
        {
            public TimeSpec Interval;
            public TimeSpec Value;
        }

        [LibraryImport(Libc, EntryPoint = "timerfd_create", SetLastError = true)]
        internal static partial SafeFd TimerFdCreate(int clockId, int flags);

        [LibraryImport(Libc, EntryPoint = "timerfd_settime", SetLastError = true)]
        internal static unsafe partial int TimerFdSetTime(SafeFd fd, int flags, ITimerSpec* newValue, ITimerSpec* oldValue);
    }
}
