using System.Runtime.InteropServices;

namespace Vireo.Sys;

internal static partial class Interop
{
    internal static partial class Sys
    {
        [LibraryImport(Libc, EntryPoint = "mincore", SetLastError = true)]
        internal static unsafe partial int Mincore(nint addr, nuint length, byte* vec);
    }
}
