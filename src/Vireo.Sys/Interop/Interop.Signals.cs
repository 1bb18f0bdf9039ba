using System.Runtime.InteropServices;

namespace Vireo.Sys;

internal static partial class Interop
{
    internal static partial class Sys
    {
        [LibraryImport(Libc, EntryPoint = "pthread_self")]
        internal static partial nuint PthreadSelf();

        // Returns an errno value rather than setting errno.
        [LibraryImport(Libc, EntryPoint = "pthread_kill")]
        internal static partial int PthreadKill(nuint thread, int sig);

        // Returns an errno value rather than setting errno.
        [LibraryImport(Libc, EntryPoint = "pthread_sigmask")]
        internal static unsafe partial int PthreadSigmask(int how, SigSet* set, SigSet* oldset);

        [LibraryImport(Libc, EntryPoint = "sigtimedwait", SetLastError = true)]
        internal static unsafe partial int SigTimedWait(SigSet* set, nint info, TimeSpec* timeout);

        // glibc's sigset_t is 1024 bits, larger than the kernel's 64-bit mask.
        [System.Runtime.CompilerServices.InlineArray(16)]
        internal struct SigSet
        {
            private ulong _word;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct TimeSpec
        {
            public long Seconds;
            public long Nanoseconds;
        }
    }
}
