using System.Runtime.InteropServices;

namespace Vireo.Sys;

internal static partial class Interop
{
    internal static partial class Sys
    {
        [LibraryImport(Libc, EntryPoint = "madvise", SetLastError = true)]
        internal static partial int Madvise(nint addr, nuint length, int advice);
    }
}
