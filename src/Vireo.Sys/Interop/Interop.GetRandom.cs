using System.Runtime.InteropServices;

namespace Vireo.Sys;

internal static partial class Interop
{
    internal static partial class Sys
    {
        [LibraryImport(Libc, EntryPoint = "getrandom", SetLastError = true)]
        internal static unsafe partial nint GetRandom(byte* buffer, nuint length, uint flags);
    }
}
