using System.Runtime.InteropServices;

namespace Vireo.Sys;

internal static partial class Interop
{
    internal static partial class Sys
    {
        // umask(2) cannot fail.
        [LibraryImport(Libc, EntryPoint = "umask")]
        internal static partial uint Umask(uint mask);
    }
}
