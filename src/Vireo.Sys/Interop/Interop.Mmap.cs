using System.Runtime.InteropServices;

namespace Vireo.Sys;

internal static partial class Interop
{
    internal static partial class Sys
    {
        [LibraryImport(Libc, EntryPoint = "mmap", SetLastError = true)]
        internal static partial nint Mmap(nint addr, nuint length, int prot, int flags, SafeFd fd, long offset);

        [LibraryImport(Libc, EntryPoint = "mmap", SetLastError = true)]
        internal static partial nint MmapAnonymous(nint addr, nuint length, int prot, int flags, int fd, long offset);

        [LibraryImport(Libc, EntryPoint = "munmap", SetLastError = true)]
        internal static partial int Munmap(nint addr, nuint length);

        internal static readonly nint MapFailed = -1;
    }
}
