using System.Runtime.InteropServices;

namespace Vireo.Sys;

internal static partial class Interop
{
    internal static partial class Sys
    {
        [LibraryImport(Libc, EntryPoint = "readv", SetLastError = true)]
        internal static unsafe partial nint Readv(SafeFd fd, IoVec* iov, int count);

        [LibraryImport(Libc, EntryPoint = "writev", SetLastError = true)]
        internal static unsafe partial nint Writev(SafeFd fd, IoVec* iov, int count);
    }
}
