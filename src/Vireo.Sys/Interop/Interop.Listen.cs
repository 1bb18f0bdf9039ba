using System.Runtime.InteropServices;

namespace Vireo.Sys;

internal static partial class Interop
{
    internal static partial class Sys
    {
        [LibraryImport(Libc, EntryPoint = "listen", SetLastError = true)]
        internal static partial int Listen(SafeFd fd, int backlog);
    }
}
