using System.Runtime.InteropServices;

namespace Vireo.Sys;

internal static partial class Interop
{
    internal static partial class Sys
    {
        [LibraryImport(Libc, EntryPoint = "connect", SetLastError = true)]
        internal static unsafe partial int Connect(SafeFd fd, byte* address, uint addressLength);
    }
}
