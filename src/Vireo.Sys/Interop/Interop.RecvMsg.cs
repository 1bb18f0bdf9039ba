using System.Runtime.InteropServices;

namespace Vireo.Sys;

internal static partial class Interop
{
    internal static partial class Sys
    {
        [LibraryImport(Libc, EntryPoint = "recvmsg", SetLastError = true)]
        internal static unsafe partial nint RecvMsg(SafeFd fd, MsgHdr* message, int flags);
    }
}
