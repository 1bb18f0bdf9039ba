using System.Runtime.InteropServices;

namespace Vireo.Sys;

internal static partial class Interop
{
    internal static partial class Sys
    {
        // struct epoll_event from <sys/epoll.h>: __EPOLL_PACKED on x86-64, so data sits at offset 4
        // and the struct is 12 bytes (the layout test checks this against the host's header).
        [StructLayout(LayoutKind.Sequential, Pack = 4)]
        internal struct EpollEvent
        {
            public uint Events;
            public ulong Data;
        }

        [LibraryImport(Libc, EntryPoint = "epoll_create1", SetLastError = true)]
        internal static partial SafeFd EpollCreate1(int flags);

        [LibraryImport(Libc, EntryPoint = "epoll_ctl", SetLastError = true)]
        internal static unsafe partial int EpollCtl(SafeFd epfd, int op, SafeFd fd, EpollEvent* ev);

        [LibraryImport(Libc, EntryPoint = "epoll_wait", SetLastError = true)]
        internal static unsafe partial int EpollWait(SafeFd epfd, EpollEvent* events, int maxEvents, int timeoutMs);
    }
}
