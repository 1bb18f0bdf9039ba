using System.Buffers.Binary;
using System.Net;
using Vireo.Memory;
using Vireo.Sys;
using Vireo.TestSupport;
using static Vireo.Virtio.Tests.ConsoleRig;

namespace Vireo.Virtio.Tests;

/// <summary>The network device over a real tap: the guest driver's frames reach the host's stack
/// and the host's answers come back into the driver's receive buffers.</summary>
public sealed class VirtioNetTapTests
{
    private const ushort EtherTypeArp = 0x0806;
    private const ushort EtherTypeIPv4 = 0x0800;

    private sealed class Guest : IDisposable
    {
        private readonly TapDevice _tap;
        private ushort _txHead;

        public Guest()
        {
            _tap = TapDevice.Create();
            int subnet = Random.Shared.Next(0, 1 << 14) << 2;
            HostIp = new IPAddress([10, 254, (byte)(subnet >> 8), (byte)(subnet + 1)]);
            GuestIp = new IPAddress([10, 254, (byte)(subnet >> 8), (byte)(subnet + 2)]);
            File.WriteAllText($"/proc/sys/net/ipv6/conf/{_tap.Name}/disable_ipv6", "1");
            NetInterface.SetIPv4Address(_tap.Name, HostIp, 30);
            NetInterface.SetUp(_tap.Name);
            HostMac = new MacAddress(Convert.FromHexString(File.ReadAllText($"/sys/class/net/{_tap.Name}/address").Trim().Replace(":", "", StringComparison.Ordinal)));
            Backend = new TapBackend(_tap);
            Rig = new NetRig(Backend);
            for (ushort i = 0; i < NetRig.Size; i++)
            {
                Post(Rig.Rx, i, In(RxBuffer(i), 2048));
            }
        }

        public IPAddress HostIp { get; }
        public IPAddress GuestIp { get; }
        public MacAddress HostMac { get; }
        public TapBackend Backend { get; }
        public NetRig Rig { get; }
        public ushort RxSeen { get; private set; }

        private static ulong RxBuffer(ushort head) => NetRig.Data + (head * 0x1000UL);

        public void Transmit(byte[] frame, VirtioNetHeader header = default)
        {
            ulong at = NetRig.Data + 0x20000 + (_txHead * 0x2000UL);
            Rig.Memory.Write(new GuestAddress(at), header);
            Rig.Fill(at + VirtioNetHeader.Size, frame);
            Post(Rig.Tx, _txHead, Out(at, (uint)(VirtioNetHeader.Size + frame.Length)));
            _txHead = (ushort)((_txHead + 1) % NetRig.Size);
            Rig.Driver.Kick(VirtioNet.TransmitQueue);
        }

        /// <summary>Serves the receive queue whenever the tap is readable until a frame matches, reposting each buffer used.</summary>
        public byte[]? ReceiveUntil(Func<byte[], bool> match)
        {
            DateTime deadline = DateTime.UtcNow.AddSeconds(10);
            while (DateTime.UtcNow < deadline)
            {
                if (Poller.WaitReadable(Backend.ReadableHandle, TimeSpan.FromMilliseconds(200)))
                {
                    Rig.Function.NotifyQueue(VirtioNet.ReceiveQueue);
                }
                while (RxSeen != Rig.Rx.UsedIdx)
                {
                    VirtqUsedElement used = Rig.Rx.UsedAt(RxSeen++);
                    ushort head = (ushort)used.Id;
                    VirtioNetHeader header = Rig.Memory.Read<VirtioNetHeader>(new GuestAddress(RxBuffer(head)));
                    Assert.Equal(1, header.NumBuffers);
                    byte[] frame = Rig.Guest(RxBuffer(head) + VirtioNetHeader.Size, (int)used.Length - VirtioNetHeader.Size);
                    Post(Rig.Rx, head, In(RxBuffer(head), 2048));
                    if (match(frame))
                    {
                        return frame;
                    }
                }
            }
            return null;
        }

        public void Dispose()
        {
            Rig.Dispose();
            Backend.Dispose();
        }
    }

    private static byte[] Ethernet(MacAddress destination, MacAddress source, ushort type, byte[] payload)
    {
        byte[] frame = new byte[14 + payload.Length];
        destination.CopyTo(frame);
        source.CopyTo(frame.AsSpan(6));
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), type);
        payload.CopyTo(frame, 14);
        return frame;
    }

    private static byte[] ArpRequest(MacAddress sender, IPAddress senderIp, IPAddress target)
    {
        byte[] arp = new byte[28];
        BinaryPrimitives.WriteUInt16BigEndian(arp, 1); // Ethernet
        BinaryPrimitives.WriteUInt16BigEndian(arp.AsSpan(2), EtherTypeIPv4);
        arp[4] = 6;
        arp[5] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(arp.AsSpan(6), 1); // request
        sender.CopyTo(arp.AsSpan(8));
        senderIp.GetAddressBytes().CopyTo(arp, 14);
        target.GetAddressBytes().CopyTo(arp, 24);
        return Ethernet(MacAddress.Parse("ff:ff:ff:ff:ff:ff"), sender, EtherTypeArp, arp);
    }

    // RFC 1071 Internet checksum.
    private static ushort Checksum(ReadOnlySpan<byte> bytes)
    {
        uint sum = 0;
        for (int i = 0; i + 1 < bytes.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(bytes[i..]);
        }
        if (bytes.Length % 2 != 0)
        {
            sum += (uint)bytes[^1] << 8;
        }
        while (sum > 0xffff)
        {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        return (ushort)~sum;
    }

    private static byte[] EchoRequest(IPAddress source, IPAddress destination, ushort id, byte[] data)
    {
        byte[] icmp = new byte[8 + data.Length];
        icmp[0] = 8; // echo request
        BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(4), id);
        BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(6), 1);
        data.CopyTo(icmp, 8);
        BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(2), Checksum(icmp));
        byte[] ip = new byte[20 + icmp.Length];
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(2), (ushort)ip.Length);
        ip[8] = 64; // TTL
        ip[9] = 1; // ICMP
        source.GetAddressBytes().CopyTo(ip, 12);
        destination.GetAddressBytes().CopyTo(ip, 16);
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(10), Checksum(ip.AsSpan(0, 20)));
        icmp.CopyTo(ip, 20);
        return ip;
    }

    // A TCP segment without ACK to a closed port, its checksum left to the offload: the field holds
    // the pseudo-header sum (RFC 793 pseudo-header, not complemented) as Linux's drivers leave it.
    private static byte[] TcpWithPartialChecksum(IPAddress source, IPAddress destination, uint sequence, byte[] payload)
    {
        byte[] ip = new byte[40 + payload.Length];
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(2), (ushort)ip.Length);
        ip[6] = 0x40; // DF
        ip[8] = 64;
        ip[9] = 6; // TCP
        source.GetAddressBytes().CopyTo(ip, 12);
        destination.GetAddressBytes().CopyTo(ip, 16);
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(10), Checksum(ip.AsSpan(0, 20)));
        Span<byte> tcp = ip.AsSpan(20);
        BinaryPrimitives.WriteUInt16BigEndian(tcp, 40000);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], 1); // tcpmux: nobody listens
        BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], sequence);
        tcp[12] = 5 << 4;
        tcp[13] = 0x08; // PSH
        BinaryPrimitives.WriteUInt16BigEndian(tcp[14..], 65535);
        payload.CopyTo(tcp[20..]);
        byte[] pseudo = new byte[12];
        source.GetAddressBytes().CopyTo(pseudo, 0);
        destination.GetAddressBytes().CopyTo(pseudo, 4);
        pseudo[9] = 6;
        BinaryPrimitives.WriteUInt16BigEndian(pseudo.AsSpan(10), (ushort)(20 + payload.Length));
        BinaryPrimitives.WriteUInt16BigEndian(tcp[16..], (ushort)~Checksum(pseudo));
        return ip;
    }

    [TapFact]
    public void A_TSO_frame_with_a_partial_checksum_passes_through_the_tap_whole_and_the_host_answers_its_full_length()
    {
        using var guest = new Guest();
        guest.Transmit(ArpRequest(NetRig.GuestMac, guest.GuestIp, guest.HostIp));
        Assert.NotNull(guest.ReceiveUntil(f => BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(12)) == EtherTypeArp));
        byte[] payload = new byte[4000];
        Random.Shared.NextBytes(payload);
        var header = new VirtioNetHeader
        {
            Flags = VirtioNetHeader.FlagNeedsChecksum,
            GsoType = VirtioNetHeader.GsoTcpV4,
            HeaderLength = 54,
            GsoSize = 1448,
            ChecksumStart = 34,
            ChecksumOffset = 16,
        };

        guest.Transmit(Ethernet(guest.HostMac, NetRig.GuestMac, EtherTypeIPv4, TcpWithPartialChecksum(guest.GuestIp, guest.HostIp, 1000, payload)), header);

        Assert.Equal(0, guest.Rig.Counter("tx_dropped"));
        byte[]? reset = guest.ReceiveUntil(f => f.Length >= 54 && BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(12)) == EtherTypeIPv4 && f[23] == 6);
        Assert.NotNull(reset);
        Assert.Equal(0x14, reset[47]); // RST|ACK
        // The host saw every byte of the one large segment: it acknowledges them all.
        Assert.Equal(1000u + 4000u, BinaryPrimitives.ReadUInt32BigEndian(reset.AsSpan(42)));
    }

    [TapFact]
    public void The_host_answers_the_guests_ARP_request_and_ping_through_the_tap()
    {
        using var guest = new Guest();
        Assert.Equal(TunOffloads.Checksum | TunOffloads.Tso4 | TunOffloads.Tso6, guest.Backend.SupportedOffloads & (TunOffloads.Checksum | TunOffloads.Tso4 | TunOffloads.Tso6));

        guest.Transmit(ArpRequest(NetRig.GuestMac, guest.GuestIp, guest.HostIp));

        Assert.Equal(1, guest.Rig.Counter("tx_packets"));
        byte[]? reply = guest.ReceiveUntil(f => f.Length >= 42 && BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(12)) == EtherTypeArp
            && BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(20)) == 2);
        Assert.NotNull(reply);
        Assert.Equal(NetRig.GuestMac.ToArray(), reply[..6]);
        Assert.Equal(guest.HostMac.ToArray(), reply[22..28]); // sender hardware address: the tap's
        Assert.Equal(guest.HostIp.GetAddressBytes(), reply[28..32]);
        Assert.Equal(NetRig.GuestMac.ToArray(), reply[32..38]);
        Assert.Equal(guest.GuestIp.GetAddressBytes(), reply[38..42]);

        byte[] data = "vireo virtio-net"u8.ToArray();
        guest.Transmit(Ethernet(guest.HostMac, NetRig.GuestMac, EtherTypeIPv4, EchoRequest(guest.GuestIp, guest.HostIp, 0x7e11, data)));

        byte[]? echo = guest.ReceiveUntil(f => f.Length >= 34 + 8 && BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(12)) == EtherTypeIPv4
            && f[23] == 1 && f[34] == 0);
        Assert.NotNull(echo);
        Assert.Equal(guest.GuestIp.GetAddressBytes(), echo[30..34]); // IPv4 destination
        Assert.Equal(0x7e11, BinaryPrimitives.ReadUInt16BigEndian(echo.AsSpan(38)));
        Assert.Equal(data, echo[42..(42 + data.Length)]);
        Assert.Equal(2, guest.Rig.Counter("tx_packets"));
        Assert.True(guest.Rig.Counter("rx_packets") >= 2);
        Assert.Equal(0, guest.Rig.Counter("errors"));
    }
}
