using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Vireo.Sys;

internal static partial class Interop
{
    internal static partial class Sys
    {
        [LibraryImport(Libc, EntryPoint = "preadv", SetLastError = true)]
        internal static unsafe partial nint Preadv(SafeFileHandle fd, IoVec* iov, int count, long offset);

        [LibraryImport(Libc, EntryPoint = "pwritev", SetLastError = true)]
        internal static unsafe partial nint Pwritev(SafeFileHandle fd, IoVec* iov, int count, long offset);
    }
}
