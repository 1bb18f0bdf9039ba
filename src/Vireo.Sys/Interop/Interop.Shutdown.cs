using System.Runtime.InteropServices;

namespace Vireo.Sys;

internal static partial class Interop
{
    internal static partial class Sys
    {
        [LibraryImport(Libc, EntryPoint = "shutdown", SetLastError = true)]
        internal static partial int Shutdown(SafeFd fd, int how);
    }
}
