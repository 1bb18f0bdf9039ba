using System.Net;
using System.Net.Sockets;

namespace Vireo.Sys;

/// <summary>Host network interface settings through the classic ioctls on an AF_INET datagram
/// socket (netdevice(7)): an IPv4 address with its prefix, and the interface's up flag. Each
/// needs CAP_NET_ADMIN.</summary>
public static class NetInterface
{
    // <bits/socket.h>
    private const int AfInet = 2;
    private const int SockDgram = 2;
    private const int SockCloexec = 0x80000;

    // linux/sockios.h
    internal const uint SiocGifFlags = 0x8913;
    internal const uint SiocSifFlags = 0x8914;
    internal const uint SiocSifAddr = 0x8916;
    internal const uint SiocSifNetmask = 0x891c;

    // net/if.h: IFF_UP.
    internal const short IffUp = 0x1;

    /// <summary>Gives interface <paramref name="name"/> the IPv4 address
    /// <paramref name="address"/>/<paramref name="prefixLength"/> (SIOCSIFADDR, then
    /// SIOCSIFNETMASK), which replaces its primary IPv4 address; the kernel adds the subnet's route
    /// once the interface is up.</summary>
    /// <param name="name">The interface, e.g. <see cref="TapDevice.Name"/>.</param>
    /// <param name="address">An IPv4 address.</param>
    /// <param name="prefixLength">0 to 32.</param>
    /// <exception cref="ArgumentException">The address is not IPv4 or the name is invalid.</exception>
    /// <exception cref="ErrnoException">No such interface (ENODEV) or no CAP_NET_ADMIN (EPERM).</exception>
    public static void SetIPv4Address(string name, IPAddress address, int prefixLength)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentOutOfRangeException.ThrowIfNegative(prefixLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(prefixLength, 32);
        if (address.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new ArgumentException($"{address} is not an IPv4 address", nameof(address));
        }
        uint mask = prefixLength == 0 ? 0 : uint.MaxValue << (32 - prefixLength);
        using SafeFd socket = OpenSocket();
        var request = Request(name);
        request.Address = SockAddr(BitConverter.ToUInt32(address.GetAddressBytes()));
        Ioctl.Invoke(socket, SiocSifAddr, ref request, $"SIOCSIFADDR {name} {address}");
        request = Request(name);
        request.Address = SockAddr((uint)IPAddress.HostToNetworkOrder((int)mask));
        Ioctl.Invoke(socket, SiocSifNetmask, ref request, $"SIOCSIFNETMASK {name} /{prefixLength}");
    }

    /// <summary>Sets or clears interface <paramref name="name"/>'s IFF_UP flag (SIOCGIFFLAGS, then
    /// SIOCSIFFLAGS), keeping its other flags.</summary>
    /// <param name="name">The interface.</param>
    /// <param name="up">True to bring it up, false to take it down.</param>
    /// <exception cref="ErrnoException">No such interface (ENODEV) or no CAP_NET_ADMIN (EPERM).</exception>
    public static void SetUp(string name, bool up = true)
    {
        using SafeFd socket = OpenSocket();
        var request = Request(name);
        Ioctl.Invoke(socket, SiocGifFlags, ref request, $"SIOCGIFFLAGS {name}");
        request.Flags = up ? (short)(request.Flags | IffUp) : (short)(request.Flags & ~IffUp);
        Ioctl.Invoke(socket, SiocSifFlags, ref request, $"SIOCSIFFLAGS {name}");
    }

    /// <summary>Whether interface <paramref name="name"/> has IFF_UP set.</summary>
    /// <param name="name">The interface.</param>
    /// <exception cref="ErrnoException">No such interface (ENODEV).</exception>
    public static bool IsUp(string name)
    {
        using SafeFd socket = OpenSocket();
        var request = Request(name);
        Ioctl.Invoke(socket, SiocGifFlags, ref request, $"SIOCGIFFLAGS {name}");
        return (request.Flags & IffUp) != 0;
    }

    private static Interop.Sys.IfReq Request(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var request = default(Interop.Sys.IfReq);
        TapDevice.WriteName(ref request, name);
        return request;
    }

    // The address is already in network order.
    private static Interop.Sys.SockAddrIn SockAddr(uint networkOrder) => new() { Family = AfInet, Address = networkOrder };

    private static SafeFd OpenSocket()
    {
        SafeFd socket = Interop.Sys.Socket(AfInet, SockDgram | SockCloexec, 0);
        if (socket.IsInvalid)
        {
            socket.Dispose();
            throw ErrnoException.FromLastError("socket AF_INET");
        }
        return socket;
    }
}
