using System.Runtime.InteropServices;

namespace Vireo.Sys;

internal static partial class Interop
{
    internal static partial class Sys
    {
        // struct iovec from <sys/uio.h>: 16 bytes on LP64.
        [StructLayout(LayoutKind.Sequential)]
        internal unsafe struct IoVec
        {
            public byte* Base;
            public nuint Length;
        }

        // struct msghdr from <sys/socket.h>: 56 bytes on LP64 (gcc: msg_iov at 16,
        // msg_control at 32, msg_controllen at 40, msg_flags at 48).
        [StructLayout(LayoutKind.Sequential)]
        internal unsafe struct MsgHdr
        {
            public void* Name;
            public uint NameLength;
            public IoVec* Iov;
            public nuint IovLength;
            public void* Control;
            public nuint ControlLength;
            public int Flags;
        }

        // struct cmsghdr from <sys/socket.h>: 16 bytes, data follows aligned to 8.
        [StructLayout(LayoutKind.Sequential)]
        internal struct CmsgHdr
        {
            public nuint Length;
            public int Level;
            public int Type;
        }
    }
}
