using System.Buffers.Binary;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Vireo.TestSupport;

namespace Vireo.Sys.Tests;

/// <summary>Tap interfaces against the real kernel: creation and naming, offload negotiation,
/// addressing, and frames both ways.</summary>
public sealed class TapDeviceTests
{
    private static string Statistic(string name, string counter) => File.ReadAllText($"/sys/class/net/{name}/statistics/{counter}").Trim();

    // 10.254.X.Y/30 with a random subnet: .1 is the host, .2 a peer that does not exist.
    private static (IPAddress Host, IPAddress Peer) RandomSubnet()
    {
        int subnet = Random.Shared.Next(0, 1 << 14) << 2;
        return (new IPAddress([10, 254, (byte)(subnet >> 8), (byte)(subnet + 1)]), new IPAddress([10, 254, (byte)(subnet >> 8), (byte)(subnet + 2)]));
    }

    private static void NoIPv6(string name) => File.WriteAllText($"/proc/sys/net/ipv6/conf/{name}/disable_ipv6", "1");

    [TapFact]
    public void A_tap_without_a_name_gets_one_from_the_kernel_and_disappears_when_disposed()
    {
        string name;
        using (TapDevice tap = TapDevice.Create())
        {
            name = tap.Name;
            Assert.StartsWith("tap", name);
            Assert.True(Directory.Exists($"/sys/class/net/{name}"));
            Assert.Equal(TunOffloads.None, tap.Offloads);
            Assert.False(NetInterface.IsUp(name));
        }
        Assert.False(Directory.Exists($"/sys/class/net/{name}"));
    }

    [TapFact]
    public void A_named_tap_has_its_name_and_a_second_one_by_that_name_is_refused_while_it_lives()
    {
        string name = $"vireo{Environment.ProcessId % 100000}t";
        using TapDevice tap = TapDevice.Create(name);

        Assert.Equal(name, tap.Name);
        Assert.True(Directory.Exists($"/sys/class/net/{name}"));
        var e = Assert.Throws<ErrnoException>(() => TapDevice.Create(name));
        Assert.Equal(Errno.EBUSY, e.Errno);
        Assert.StartsWith($"TUNSETIFF {name}", e.Call);
    }

    [Theory]
    [InlineData("sixteen-chars-xx")]
    [InlineData("has space")]
    [InlineData("a/b")]
    [InlineData("..")]
    public void An_invalid_name_is_refused_before_the_kernel_sees_it(string name)
        => Assert.Throws<ArgumentException>(() => TapDevice.Create(name));

    [TapFact]
    public void Offloads_fall_back_to_what_the_kernel_takes()
    {
        using TapDevice tap = TapDevice.Create();

        TunOffloads all = tap.SetOffloads(TunOffloads.Checksum | TunOffloads.Tso4 | TunOffloads.Tso6 | TunOffloads.TsoEcn | TunOffloads.Ufo);
        Assert.Equal(TunOffloads.Checksum | TunOffloads.Tso4 | TunOffloads.Tso6, all & (TunOffloads.Checksum | TunOffloads.Tso4 | TunOffloads.Tso6));
        Assert.Equal(all, tap.Offloads);
        // TSO needs the checksum offload: the kernel refuses it alone, and nothing is left.
        Assert.Equal(TunOffloads.None, tap.SetOffloads(TunOffloads.Tso4));
        // ECN without TSO means nothing to the kernel, which refuses it; the checksum stays.
        Assert.Equal(TunOffloads.Checksum, tap.SetOffloads(TunOffloads.Checksum | TunOffloads.TsoEcn));
        Assert.Equal(TunOffloads.None, tap.SetOffloads(TunOffloads.None));
    }

    [TapFact]
    public void An_address_and_the_up_flag_are_set_and_read_back()
    {
        using TapDevice tap = TapDevice.Create();
        (IPAddress host, _) = RandomSubnet();

        NetInterface.SetIPv4Address(tap.Name, host, 30);
        NetInterface.SetUp(tap.Name);

        Assert.True(NetInterface.IsUp(tap.Name));
        NetworkInterface nic = NetworkInterface.GetAllNetworkInterfaces().Single(n => n.Name == tap.Name);
        UnicastIPAddressInformation unicast = nic.GetIPProperties().UnicastAddresses.Single(a => a.Address.AddressFamily == AddressFamily.InterNetwork);
        Assert.Equal(host, unicast.Address);
        Assert.Equal(30, unicast.PrefixLength);
        NetInterface.SetUp(tap.Name, false);
        Assert.False(NetInterface.IsUp(tap.Name));
    }

    [TapFact]
    public void Address_errors_name_the_call_and_the_interface()
    {
        var e = Assert.Throws<ErrnoException>(() => NetInterface.SetIPv4Address("vireo-none0", IPAddress.Parse("10.254.0.1"), 24));
        Assert.Equal(Errno.ENODEV, e.Errno);
        Assert.StartsWith("SIOCSIFADDR vireo-none0", e.Call);
        Assert.Throws<ArgumentException>(() => NetInterface.SetIPv4Address("lo", IPAddress.IPv6Loopback, 24));
        Assert.Throws<ArgumentOutOfRangeException>(() => NetInterface.SetIPv4Address("lo", IPAddress.Loopback, 33));
    }

    [TapFact]
    public void A_written_frame_is_received_by_the_host_interface()
    {
        using TapDevice tap = TapDevice.Create();
        NoIPv6(tap.Name);
        NetInterface.SetUp(tap.Name);
        long before = long.Parse(Statistic(tap.Name, "rx_packets"));
        long bytesBefore = long.Parse(Statistic(tap.Name, "rx_bytes"));
        byte[] frame = new byte[60];
        frame.AsSpan(0, 6).Fill(0xff); // broadcast
        byte[] source = [0x02, 0, 0, 0, 0, 1];
        source.CopyTo(frame, 6);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), 0x88b5); // IEEE local experimental ethertype

        Assert.True(tap.Write(new byte[TapDevice.VnetHeaderSize], frame));

        Assert.Equal(before + 1, long.Parse(Statistic(tap.Name, "rx_packets")));
        Assert.Equal(bytesBefore + 60, long.Parse(Statistic(tap.Name, "rx_bytes")));
    }

    [TapFact]
    public unsafe void A_frame_gathered_from_pieces_is_received_whole()
    {
        using TapDevice tap = TapDevice.Create();
        NoIPv6(tap.Name);
        NetInterface.SetUp(tap.Name);
        long before = long.Parse(Statistic(tap.Name, "rx_packets"));
        long bytesBefore = long.Parse(Statistic(tap.Name, "rx_bytes"));
        byte[] frame = new byte[100];
        frame.AsSpan(0, 6).Fill(0xff);
        frame[6] = 0x02;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), 0x88b5);
        byte* memory = (byte*)System.Runtime.InteropServices.NativeMemory.Alloc(256);
        try
        {
            // The Ethernet header, an empty piece, and the payload in two pieces elsewhere.
            frame.AsSpan(0, 14).CopyTo(new Span<byte>(memory + 128, 14));
            frame.AsSpan(14).CopyTo(new Span<byte>(memory, 86));
            Assert.True(tap.Write(new byte[TapDevice.VnetHeaderSize],
                [new IoSegment((nint)(memory + 128), 14), new IoSegment((nint)memory, 0), new IoSegment((nint)memory, 40), new IoSegment((nint)(memory + 40), 46)]));
        }
        finally
        {
            System.Runtime.InteropServices.NativeMemory.Free(memory);
        }

        Assert.Equal(before + 1, long.Parse(Statistic(tap.Name, "rx_packets")));
        Assert.Equal(bytesBefore + 100, long.Parse(Statistic(tap.Name, "rx_bytes")));
    }

    [TapFact]
    public void A_frame_whose_header_the_kernel_refuses_is_reported_as_not_sent()
    {
        using TapDevice tap = TapDevice.Create();
        NetInterface.SetUp(tap.Name);
        byte[] header = new byte[TapDevice.VnetHeaderSize];
        header[1] = 0x42; // an unknown gso_type

        Assert.False(tap.Write(header, new byte[60]));
        Assert.Throws<ArgumentException>(() => tap.Write(new byte[10], new byte[60]));
    }

    [TapFact]
    public void The_host_asking_for_a_neighbour_is_an_ARP_request_read_from_the_tap()
    {
        using TapDevice tap = TapDevice.Create();
        (IPAddress host, IPAddress peer) = RandomSubnet();
        NoIPv6(tap.Name);
        NetInterface.SetIPv4Address(tap.Name, host, 30);
        NetInterface.SetUp(tap.Name);
        byte[] header = new byte[TapDevice.VnetHeaderSize];
        byte[] frame = new byte[65550];
        Assert.Equal(-1, tap.Read(header, frame));

        using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        udp.SendTo("x"u8, new IPEndPoint(peer, 9));

        byte[]? arp = null;
        DateTime deadline = DateTime.UtcNow.AddSeconds(10);
        while (arp is null && DateTime.UtcNow < deadline)
        {
            if (!Poller.WaitReadable(tap.Handle, TimeSpan.FromSeconds(1)))
            {
                continue;
            }
            int length = tap.Read(header, frame);
            if (length >= 42 && BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(12)) == 0x0806)
            {
                arp = frame[..length];
            }
        }
        Assert.NotNull(arp);
        Assert.Equal(new byte[6] { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, arp[..6]);
        Assert.Equal(1, BinaryPrimitives.ReadUInt16BigEndian(arp.AsSpan(20))); // request
        Assert.Equal(host.GetAddressBytes(), arp[28..32]); // sender IP
        Assert.Equal(peer.GetAddressBytes(), arp[38..42]); // target IP
        Assert.Equal(new byte[TapDevice.VnetHeaderSize], header); // no offload: an all-zero header
    }
}
