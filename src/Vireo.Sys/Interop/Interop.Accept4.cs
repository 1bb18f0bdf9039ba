using System.Runtime.InteropServices;

namespace Vireo.Sys;

internal static partial class Interop
{
    internal static partial class Sys
    {
        [LibraryImport(Libc, EntryPoint = "accept4", SetLastError = true)]
        internal static partial SafeFd Accept4(SafeFd fd, nint address, nint addressLength, int flags);
    }
}
