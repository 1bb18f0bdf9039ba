using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Vireo.Sys;

internal static partial class Interop
{
    internal static partial class Sys
    {
        // IFNAMSIZ from <net/if.h>: an interface name with its terminating NUL.
        internal const int InterfaceNameSize = 16;

        // ifr_name: the interface name, NUL-terminated.
        [InlineArray(InterfaceNameSize)]
        internal struct InterfaceName
        {
            private byte _element;
        }

        // struct ifreq from <net/if.h>: 40 bytes on LP64, the name then a 24-byte union of which
        // Vireo uses ifr_flags (TUNSETIFF, SIOC[GS]IFFLAGS) and ifr_addr / ifr_netmask as a
        // sockaddr_in (SIOCSIFADDR, SIOCSIFNETMASK).
        [StructLayout(LayoutKind.Explicit, Size = 40)]
        internal struct IfReq
        {
            [FieldOffset(0)] public InterfaceName Name;
            [FieldOffset(16)] public short Flags;
            [FieldOffset(16)] public SockAddrIn Address;
        }

        // struct sockaddr_in from <netinet/in.h>: 16 bytes; port and address in network order.
        [StructLayout(LayoutKind.Sequential)]
        internal struct SockAddrIn
        {
            public ushort Family;
            public ushort Port;
            public uint Address;
            public ulong Zero;
        }
    }
}
