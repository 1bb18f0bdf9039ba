using System.Runtime.InteropServices;

namespace Vireo.Sys;

internal static partial class Interop
{
    internal static partial class Sys
    {
        // glibc's wrappers, not the raw syscalls: the kernel changes only the calling thread's
        // credentials, and glibc's setxid broadcast applies the change to every thread of the
        // process, which is what switching the whole VMM to another user needs.
        [LibraryImport(Libc, EntryPoint = "setgroups", SetLastError = true)]
        internal static unsafe partial int SetGroups(nuint size, uint* list);

        [LibraryImport(Libc, EntryPoint = "setresgid", SetLastError = true)]
        internal static partial int SetResGid(uint real, uint effective, uint saved);

        [LibraryImport(Libc, EntryPoint = "setresuid", SetLastError = true)]
        internal static partial int SetResUid(uint real, uint effective, uint saved);

        [LibraryImport(Libc, EntryPoint = "getpwuid")]
        internal static partial nint GetPwUid(uint uid);
    }
}
