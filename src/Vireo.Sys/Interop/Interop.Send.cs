using System.Runtime.InteropServices;

namespace Vireo.Sys;

internal static partial class Interop
{
    internal static partial class Sys
    {
        [LibraryImport(Libc, EntryPoint = "send", SetLastError = true)]
        internal static unsafe partial nint Send(SafeFd fd, byte* buf, nuint length, int flags);
    }
}
