using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Vireo.Sys;

internal static partial class Interop
{
    internal static partial class Sys
    {
        [LibraryImport(Libc, EntryPoint = "fallocate", SetLastError = true)]
        internal static partial int Fallocate(SafeFileHandle fd, int mode, long offset, long length);
    }
}
