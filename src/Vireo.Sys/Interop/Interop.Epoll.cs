using System.Runtime.InteropServices;

namespace Vireo.Sys;

internal static partial class Interop
{
    internal static partial class Sys
    {
        // struct epoll_event from <sys/epoll.h> (and the uAPI's linux/eventpoll.h): __EPOLL_PACKED
        // on x86-64 only, so there data sits at offset 4 and the struct is 12 bytes; on arm64 (every
        // other architecture) it is naturally aligned, data at offset 8, 16 bytes. The layout tests
        // check each against its own compiler's header; Epoll picks the one this process runs on.
        [StructLayout(LayoutKind.Sequential, Pack = 4)]
        internal struct EpollEventX64
        {
            public uint Events;
            public ulong Data;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct EpollEvent
        {
            public uint Events;
            public ulong Data;
        }

        [LibraryImport(Libc, EntryPoint = "epoll_create1", SetLastError = true)]
        internal static partial SafeFd EpollCreate1(int flags);

        [LibraryImport(Libc, EntryPoint = "epoll_ctl", SetLastError = true)]
        internal static unsafe partial int EpollCtl(SafeFd epfd, int op, SafeFd fd, void* ev);

        [LibraryImport(Libc, EntryPoint = "epoll_wait", SetLastError = true)]
        internal static unsafe partial int EpollWait(SafeFd epfd, void* events, int maxEvents, int timeoutMs);
    }
}
