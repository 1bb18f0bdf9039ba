using System.Runtime.InteropServices;

namespace Vireo.Sys;

internal static partial class Interop
{
    internal static partial class Sys
    {
        // struct stat on x86-64 (bits/struct_stat.h) is 144 bytes with st_size at offset 48;
        // only the size is read, so the struct is kept opaque.
        internal const int StatSize = 144;
        internal const int StatSizeOffset = 48;

        [LibraryImport(Libc, EntryPoint = "fstat", SetLastError = true)]
        internal static unsafe partial int Fstat(SafeFd fd, byte* stat);
    }
}
