using System.Runtime.InteropServices;

namespace Vireo.Sys;

internal static partial class Interop
{
    internal static partial class Sys
    {
        // ioctl is variadic in C; on x86-64 SysV an integer/pointer third argument is passed the
        // same way for variadic and fixed calls, so one fixed signature with a pointer-sized
        // argument serves both the "int argument" and the "pointer argument" ioctls.
        [LibraryImport(Libc, EntryPoint = "ioctl", SetLastError = true)]
        internal static partial int Ioctl(SafeFd fd, nuint request, nint arg);
    }
}
