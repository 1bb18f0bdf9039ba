using System.Runtime.InteropServices;

namespace Vireo.Sys;

internal static partial class Interop
{
    internal static partial class Sys
    {
        [LibraryImport(Libc, EntryPoint = "pread", SetLastError = true)]
        internal static unsafe partial nint Pread(SafeFd fd, byte* buf, nuint count, long offset);

        [LibraryImport(Libc, EntryPoint = "pwrite", SetLastError = true)]
        internal static unsafe partial nint Pwrite(SafeFd fd, byte* buf, nuint count, long offset);
    }
}
