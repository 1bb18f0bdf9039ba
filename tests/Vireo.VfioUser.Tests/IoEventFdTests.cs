using System.Buffers.Binary;
using Vireo.Pci;
using Vireo.Sys;

namespace Vireo.VfioUser.Tests;

/// <summary>GET_REGION_IO_FDS with real entries: the device declares ioeventfds, the reply
/// carries libvfio-user's 48-byte entries and one fd each, and a signal on an fd reaches the
/// device as the write it stands for.</summary>
public sealed class IoEventFdTests
{
    private const int Timeout = 20_000;
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(5);

    [Fact(Timeout = Timeout)]
    public Task ClientGetsTheDeclaredEntriesWithAnFdEach() => Task.Run(() =>
    {
        using var pair = new Pair();
        IReadOnlyList<RegionIoEventFd> fds = pair.Client.GetRegionIoEventFds(0);
        try
        {
            Assert.Equal(
                [
                    new SubRegionIoEventFd(4, 4, 0, IoFdType.IoEventFd, IoEventFdFlags.None, 0, 0, 0),
                    new SubRegionIoEventFd(0x20, 4, 1, IoFdType.IoEventFd, IoEventFdFlags.DataMatch, 0, 0, 0x5a),
                    new SubRegionIoEventFd(0x28, 2, 2, IoFdType.IoEventFd, IoEventFdFlags.None, 0, 0, 0),
                ],
                fds.Select(f => f.Entry));
            Assert.True(fds[1].HasDataMatch);
            Assert.All(fds, f => Assert.False(f.Fd.IsInvalid));
            Assert.Equal(3, fds.Select(f => f.Fd.DangerousGetHandle()).Distinct().Count());
            // A region without ioeventfds: count 0, nothing to take.
            Assert.Empty(pair.Client.GetRegionIoEventFds(2));
            Assert.Empty(pair.Client.GetRegionIoEventFds(VfioRegionIndex.Config));
        }
        finally
        {
            foreach (RegionIoEventFd f in fds)
            {
                f.Dispose();
            }
        }
    });

    [Fact(Timeout = Timeout)]
    public Task ShortArgszGetsTheCountAndTheArgszNeededButNoFds() => Task.Run(() =>
    {
        using var pair = new Pair();
        using ReceivedMessage reply = pair.Client.Request(VfioUserCommand.DeviceGetRegionIoFds, RegionIoFds.Request(0));
        RegionIoFds answer = RegionIoFds.Decode(reply.Payload);
        Assert.Equal(new RegionIoFds(16 + (3 * 48), 0, 0, 3, ReadOnlyMemory<byte>.Empty), answer with { SubRegions = ReadOnlyMemory<byte>.Empty });
        Assert.True(answer.SubRegions.IsEmpty);
        Assert.Equal(16, reply.Payload.Length);
        Assert.Equal(0, reply.FdCount);
        // One entry's worth short is still too small: all or nothing, as libvfio-user.
        using ReceivedMessage almost = pair.Client.Request(VfioUserCommand.DeviceGetRegionIoFds, RegionIoFds.Request(0, 16 + (2 * 48)));
        Assert.Equal(16, almost.Payload.Length);
        Assert.Equal(0, almost.FdCount);
        using ReceivedMessage full = pair.Client.Request(VfioUserCommand.DeviceGetRegionIoFds, RegionIoFds.Request(0, 16 + (3 * 48)));
        Assert.Equal(16 + (3 * 48), full.Payload.Length);
        Assert.Equal(3, full.FdCount);
    });

    [Fact(Timeout = Timeout)]
    public Task SignalsReachTheDeviceAsTheirWrites() => Task.Run(() =>
    {
        using var pair = new Pair();
        IReadOnlyList<RegionIoEventFd> fds = pair.Client.GetRegionIoEventFds(0);
        try
        {
            Signal(fds[1].Fd);
            Assert.Equal((0x20UL, 0x5aUL, 4), NextWrite(pair.Device));
            // Without datamatch the value is unknown: the device sees zeros of the declared size.
            Signal(fds[2].Fd);
            Assert.Equal((0x28UL, 0UL, 2), NextWrite(pair.Device));
            // A REGION_WRITE to the same register still arrives with its own value.
            pair.Client.WriteRegion(0, 0x28, [7, 0]);
            Assert.Equal((0x28UL, 7UL, 2), NextWrite(pair.Device));
        }
        finally
        {
            foreach (RegionIoEventFd f in fds)
            {
                f.Dispose();
            }
        }
    });

    [Fact(Timeout = Timeout)]
    public Task DoorbellEventFdRunsTheDmaAndTheInterrupt() => Task.Run(() =>
    {
        using var pair = new Pair();
        VfioUserClient c = pair.Client;
        using SafeFd guest = MemFd.Create("guest", 0x4000);
        using MappedMemory ram = MappedMemory.MapShared(guest, 0x4000);
        c.DmaMap(0x100000, 0x4000, DmaMapFlags.Read | DmaMapFlags.Write, guest, 0);
        using EventFd intx = EventFd.Create();
        c.SetIrqEventFds(VfioIrqIndex.Intx, 0, [intx]);
        unsafe
        {
            // Safe: 16 bytes at offset 0x100 of a 16 KiB mapping.
            new Span<byte>((byte*)ram.DangerousGetAddress() + 0x100, 16).Fill(0x77);
        }
        c.WriteRegion(0, 8, BitConverter.GetBytes(0x100100UL));
        c.WriteRegion(0, 0x10, BitConverter.GetBytes(0x103000UL));
        IReadOnlyList<RegionIoEventFd> fds = c.GetRegionIoEventFds(0);
        try
        {
            // What KVM does when the guest writes the doorbell.
            Signal(fds[0].Fd);
            Assert.Equal(1UL, intx.Wait(Long));
            unsafe
            {
                // Safe: as above.
                Assert.True(new ReadOnlySpan<byte>((byte*)ram.DangerousGetAddress() + 0x3000, 16).SequenceEqual(Enumerable.Repeat((byte)0x77, 16).ToArray()));
            }
        }
        finally
        {
            foreach (RegionIoEventFd f in fds)
            {
                f.Dispose();
            }
        }
    });

    [Fact(Timeout = Timeout)]
    public Task ANewClientGetsNewEventFdsAndTheOldOnesGoQuiet() => Task.Run(() =>
    {
        using var device = new TestDevice();
        var server = new VfioUserServer(device);
        SafeFd old = Connect(server, client =>
        {
            IReadOnlyList<RegionIoEventFd> fds = client.GetRegionIoEventFds(0);
            fds[0].Dispose();
            fds[2].Dispose();
            return fds[1].Fd;
        });
        using (old)
        {
            Connect(server, client =>
            {
                IReadOnlyList<RegionIoEventFd> all = client.GetRegionIoEventFds(0);
                all[0].Dispose();
                all[2].Dispose();
                using SafeFd fresh = all[1].Fd;
                Signal(old);
                Thread.Sleep(200);
                Assert.True(device.RecordedWrites.IsEmpty);
                Signal(fresh);
                Assert.Equal((0x20UL, 0x5aUL, 4), NextWrite(device));
                return fresh;
            });
        }
    });

    private static T Connect<T>(VfioUserServer server, Func<VfioUserClient, T> use)
    {
        (UnixSocket serverEnd, UnixSocket clientEnd) = UnixSocket.CreatePair();
        var serving = new Thread(() => server.Serve(serverEnd)) { IsBackground = true };
        serving.Start();
        T result;
        using (VfioUserClient client = VfioUserClient.Open(clientEnd))
        {
            result = use(client);
        }
        Assert.True(serving.Join(Long), "the server did not notice the client leave");
        return result;
    }

    [Fact(Timeout = Timeout)]
    public Task MoreEventFdsThanTheClientTakesIsEinvalNotATruncatedMessage() => Task.Run(() =>
    {
        using var pair = new Pair(new VfioUserClientOptions { MaxMessageFds = 2 });
        Assert.Equal(Errno.EINVAL, Assert.Throws<VfioUserException>(() => pair.Client.GetRegionIoEventFds(0)).Errno);
        Assert.Equal(0x10f01af4u, pair.Client.ReadRegionU32(VfioRegionIndex.Config, 0));
    });

    public static TheoryData<string, byte[]> BadRequests => new()
    {
        { "flags 1", RawPeer.Message(2, VfioUserCommand.DeviceGetRegionIoFds, RawPeer.U32s(16 + 48, 1, 0, 0)) },
        { "count 1", RawPeer.Message(2, VfioUserCommand.DeviceGetRegionIoFds, RawPeer.U32s(16 + 48, 0, 0, 1)) },
        { "argsz 15", RawPeer.Message(2, VfioUserCommand.DeviceGetRegionIoFds, RawPeer.U32s(15, 0, 0, 0)) },
        { "argsz over the transfer limit", RawPeer.Message(2, VfioUserCommand.DeviceGetRegionIoFds, RawPeer.U32s(0x200000, 0, 0, 0)) },
        { "region 9", RawPeer.Message(2, VfioUserCommand.DeviceGetRegionIoFds, RawPeer.U32s(16, 0, 9, 0)) },
        { "BAR 1, which the device lacks", RawPeer.Message(2, VfioUserCommand.DeviceGetRegionIoFds, RawPeer.U32s(16, 0, 1, 0)) },
        { "truncated", RawPeer.Message(2, VfioUserCommand.DeviceGetRegionIoFds, RawPeer.U32s(16, 0, 0)) },
    };

    [Theory(Timeout = Timeout)]
    [MemberData(nameof(BadRequests))]
    public Task BadRequestsGetEinval(string name, byte[] message) => Task.Run(() =>
    {
        using var peer = new RawPeer();
        peer.Send(message);
        MessageHeader reply = peer.ReadReply();
        Assert.True(reply.IsError, name);
        Assert.Equal((uint)Errno.EINVAL, reply.Error);
        Assert.True(peer.StillServes(), name);
    });

    public static TheoryData<string, int, ulong, int, ulong?> BadDeclarations => new()
    {
        { "undefined BAR", 1, 0, 4, null },
        { "BAR 6", 6, 0, 4, null },
        { "size 3", 0, 0, 3, null },
        { "past the BAR end", 0, 0xfe, 4, null },
        { "offset overflow", 0, ulong.MaxValue - 1, 4, null },
        { "in the mmap area", 2, 0x10, 4, null },
        { "in the MSI-X table", 2, 0x1000, 4, null },
        { "in the PBA", 2, 0x1800, 8, null },
        { "datamatch wider than the size", 0, 0x40, 2, 0x10000 },
        { "collides with a wildcard", 0, 0x30, 4, 1 },
    };

    [Theory]
    [MemberData(nameof(BadDeclarations))]
    public void BadDeclarationsAreRefused(string name, int bar, ulong offset, int size, ulong? dataMatch)
    {
        using var device = new DeclaringDevice();
        Assert.True(Assert.Throws<ArgumentException>(() => device.Declare(bar, offset, size, dataMatch)) is not null, name);
    }

    [Fact]
    public void DistinctDatamatchesMayShareARegister()
    {
        using var device = new DeclaringDevice();
        device.Declare(0, 0x40, 4, 1);
        device.Declare(0, 0x40, 4, 2);
        Assert.Throws<ArgumentException>(() => device.Declare(0, 0x40, 4, 2));
        Assert.Throws<ArgumentException>(() => device.Declare(0, 0x40, 4, null));
        Assert.Equal(3, device.IoEventFds.Count);
    }

    [Fact]
    public void EntryEncodesAsLibvfioUsersFortyEightBytes()
    {
        var entry = new SubRegionIoEventFd(0x1000, 4, 2, IoFdType.IoEventFd, IoEventFdFlags.DataMatch, 0, 0, 0x1122334455667788);
        byte[] bytes = RawPeer.Encode(entry);
        Assert.Equal(
            Convert.FromHexString("0010000000000000" + "0400000000000000" + "02000000" + "00000000" + "01000000" + "00000000" + "0000000000000000" + "8877665544332211"),
            bytes);
        Assert.Equal(entry, SubRegionIoEventFd.Decode(bytes, SubRegionIoEventFd.Length));
        // The spec's 40-byte entry: padding instead of shadow_mem_fd_index, no shadow_offset.
        byte[] spec = Convert.FromHexString("0010000000000000" + "0400000000000000" + "02000000" + "00000000" + "01000000" + "00000000" + "8877665544332211");
        Assert.Equal(entry, SubRegionIoEventFd.Decode(spec, SubRegionIoEventFd.SpecLength));
        Assert.Equal(Errno.EINVAL, Assert.Throws<VfioUserException>(() => SubRegionIoEventFd.Decode(bytes, 32)).Errno);
    }

    private static void Signal(SafeFd fd)
    {
        // The client keeps its own copy; writing 1 to it is what KVM's ioeventfd does.
        using SafeFd copy = FileDescriptor.Duplicate(fd);
        EventFd.FromHandle(copy).Signal();
    }

    private static (ulong Offset, ulong Value, int Length) NextWrite(TestDevice device)
    {
        DateTime deadline = DateTime.UtcNow + Long;
        while (DateTime.UtcNow < deadline)
        {
            if (device.RecordedWrites.TryDequeue(out (ulong, ulong, int) write))
            {
                return write;
            }
            Thread.Sleep(2);
        }
        throw new TimeoutException("the device saw no write");
    }

    private sealed class DeclaringDevice : VfioUserPciDevice
    {
        public DeclaringDevice()
            : base(new PciConfigSpace(0x1af4, 0x10f1, 0x120000))
        {
            DefineBar(0, PciBar.Trapped(0x100));
            DefineBar(2, PciBar.SharedMemory(0x2000, [new PciMmapArea(0, 0x1000)]));
            DefineMsix(4, 2, 0x1000, 2, 0x1800);
            DefineIoEventFd(0, 0x30, 4);
            Config.Seal();
        }

        public void Declare(int bar, ulong offset, int size, ulong? dataMatch) => DefineIoEventFd(bar, offset, size, dataMatch);
    }
}
