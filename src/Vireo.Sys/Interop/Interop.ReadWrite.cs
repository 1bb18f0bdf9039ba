using System.Runtime.InteropServices;

namespace Vireo.Sys;

internal static partial class Interop
{
    internal static partial class Sys
    {
        [LibraryImport(Libc, EntryPoint = "read", SetLastError = true)]
        internal static unsafe partial nint Read(SafeFd fd, byte* buf, nuint count);

        [LibraryImport(Libc, EntryPoint = "write", SetLastError = true)]
        internal static unsafe partial nint Write(SafeFd fd, byte* buf, nuint count);
    }
}
