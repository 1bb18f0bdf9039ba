using System.Runtime.InteropServices;

namespace Vireo.Sys;

internal static partial class Interop
{
    internal static partial class Sys
    {
        // prctl is variadic; every option used here takes unsigned longs, which x86-64 SysV passes
        // in the same registers as fixed arguments.
        [LibraryImport(Libc, EntryPoint = "prctl", SetLastError = true)]
        internal static partial int Prctl(int option, ulong arg2, ulong arg3, ulong arg4, ulong arg5);
    }
}
