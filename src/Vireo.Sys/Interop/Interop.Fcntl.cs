using System.Runtime.InteropServices;

namespace Vireo.Sys;

internal static partial class Interop
{
    internal static partial class Sys
    {
        // fcntl is variadic; F_DUPFD_CLOEXEC takes an int, passed like a fixed argument on x86-64 SysV.
        [LibraryImport(Libc, EntryPoint = "fcntl", SetLastError = true)]
        internal static partial int FcntlDupCloexec(SafeFd fd, int command, int minFd);

        // F_GETFL ignores the argument and F_SETFL takes an int: the same fixed-argument shape.
        [LibraryImport(Libc, EntryPoint = "fcntl", SetLastError = true)]
        internal static partial int FcntlFlags(SafeFd fd, int command, int flags);
    }
}
