using System.Runtime.InteropServices;

namespace Vireo.Sys;

internal static partial class Interop
{
    internal static partial class Sys
    {
        // <pwd.h> struct passwd and <grp.h> struct group on LP64 glibc: two char* then the id.
        internal const int PasswdUidOffset = 16;
        internal const int PasswdGidOffset = 20;
        internal const int GroupGidOffset = 16;

        [LibraryImport(Libc, EntryPoint = "getpwnam", StringMarshalling = StringMarshalling.Utf8)]
        internal static partial nint GetPwNam(string name);

        [LibraryImport(Libc, EntryPoint = "getgrnam", StringMarshalling = StringMarshalling.Utf8)]
        internal static partial nint GetGrNam(string name);
    }
}
