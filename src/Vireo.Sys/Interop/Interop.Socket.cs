using System.Runtime.InteropServices;

namespace Vireo.Sys;

internal static partial class Interop
{
    internal static partial class Sys
    {
        [LibraryImport(Libc, EntryPoint = "socket", SetLastError = true)]
        internal static partial SafeFd Socket(int domain, int type, int protocol);
    }
}
