using System.Runtime.InteropServices;

namespace Vireo.Sys;

internal static partial class Interop
{
    internal static partial class Sys
    {
        [LibraryImport(Libc, EntryPoint = "eventfd", SetLastError = true)]
        internal static partial SafeFd EventFd(uint initval, int flags);
    }
}
