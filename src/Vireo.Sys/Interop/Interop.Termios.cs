using System.Runtime.InteropServices;

namespace Vireo.Sys;

internal static partial class Interop
{
    internal static partial class Sys
    {
        [LibraryImport(Libc, EntryPoint = "isatty")]
        internal static partial int IsAtty(int fd);

        [LibraryImport(Libc, EntryPoint = "tcgetattr", SetLastError = true)]
        internal static partial int TcGetAttr(int fd, out Termios termios);

        [LibraryImport(Libc, EntryPoint = "tcsetattr", SetLastError = true)]
        internal static partial int TcSetAttr(int fd, int optionalActions, in Termios termios);

        [LibraryImport(Libc, EntryPoint = "cfmakeraw")]
        internal static partial void CfMakeRaw(ref Termios termios);
    }
}
