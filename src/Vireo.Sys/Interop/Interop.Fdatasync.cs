using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Vireo.Sys;

internal static partial class Interop
{
    internal static partial class Sys
    {
        [LibraryImport(Libc, EntryPoint = "fdatasync", SetLastError = true)]
        internal static partial int Fdatasync(SafeFileHandle fd);
    }
}
