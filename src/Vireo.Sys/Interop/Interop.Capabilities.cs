using System.Runtime.InteropServices;

namespace Vireo.Sys;

internal static partial class Interop
{
    internal static partial class Sys
    {
        // struct __user_cap_header_struct from <linux/capability.h>.
        [StructLayout(LayoutKind.Sequential)]
        internal struct CapUserHeader
        {
            public uint Version;
            public int Pid;
        }

        // struct __user_cap_data_struct from <linux/capability.h>; version 3 takes two of them
        // (capabilities 0-31, then 32-63).
        [StructLayout(LayoutKind.Sequential)]
        internal struct CapUserData
        {
            public uint Effective;
            public uint Permitted;
            public uint Inheritable;
        }

        [LibraryImport(Libc, EntryPoint = "capget", SetLastError = true)]
        internal static unsafe partial int Capget(CapUserHeader* header, CapUserData* data);

        [LibraryImport(Libc, EntryPoint = "capset", SetLastError = true)]
        internal static unsafe partial int Capset(CapUserHeader* header, CapUserData* data);
    }
}
