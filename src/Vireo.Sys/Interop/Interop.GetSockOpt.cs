using System.Runtime.InteropServices;

namespace Vireo.Sys;

internal static partial class Interop
{
    internal static partial class Sys
    {
        internal const int SolSocket = 1;   // SOL_SOCKET
        internal const int SoPeerCred = 17; // SO_PEERCRED

        /// <summary>struct ucred (sys/socket.h with _GNU_SOURCE): who is at the other end of a UNIX socket.</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct UCred
        {
            public int Pid;
            public uint Uid;
            public uint Gid;
        }

        [LibraryImport(Libc, EntryPoint = "getsockopt", SetLastError = true)]
        internal static unsafe partial int GetSockOpt(SafeFd fd, int level, int name, void* value, uint* length);
    }
}
