using System.Runtime.InteropServices;

namespace Vireo.Sys;

internal static partial class Interop
{
    internal static partial class Sys
    {
        [LibraryImport(Libc, EntryPoint = "bind", SetLastError = true)]
        internal static unsafe partial int Bind(SafeFd fd, byte* address, uint addressLength);
    }
}
