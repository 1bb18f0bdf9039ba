using System.Runtime.InteropServices;

namespace Vireo.Sys;

internal static partial class Interop
{
    internal static partial class Sys
    {
        // struct stat on x86-64 (bits/struct_stat.h) is 144 bytes with st_mode at offset 24 and
        // st_size at 48; only those are read, so the struct is kept opaque.
        internal const int StatSize = 144;
        internal const int StatModeOffset = 24;
        internal const int StatSizeOffset = 48;
        internal const uint StatTypeMask = 0xF000; // S_IFMT
        internal const uint StatRegular = 0x8000;  // S_IFREG

        [LibraryImport(Libc, EntryPoint = "fstat", SetLastError = true)]
        internal static unsafe partial int Fstat(SafeFd fd, byte* stat);
    }
}
