using Vireo.Sys;

namespace Vireo.VfioUser.Tests;

/// <summary>twin_socket: a client that asks gets a second socket in the VERSION reply
/// (fd_index 0, as libvfio-user answers) and the server's DMA_READ/DMA_WRITE travel on it;
/// refusals on either side leave a working connection or a clean error, never a hang.</summary>
public sealed class TwinSocketTests
{
    private const int Timeout = 20_000;
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(5);

    [Fact(Timeout = Timeout)]
    public Task ClientAsksAndServerHandsOverTheSocket() => Task.Run(() =>
    {
        using var pair = new Pair();
        Assert.True(pair.Client.TwinSocketActive);
        Assert.True(pair.Client.ServerCapabilities.TwinSocket);
        Assert.Equal(0, pair.Client.ServerCapabilities.TwinSocketFdIndex);
        Assert.Contains("\"twin_socket\":{\"supported\":true,\"fd_index\":0}", pair.Client.ServerCapabilitiesJson, StringComparison.Ordinal);
    });

    [Fact(Timeout = Timeout)]
    public Task DmaMessagesTravelOnTheTwinSocketFromAnyThread() => Task.Run(() =>
    {
        var memory = new GuestBytes(0x200000, 0x1000);
        using var pair = new Pair(new VfioUserClientOptions { DmaTarget = memory });
        pair.Client.DmaMap(0x200000, 0x1000, DmaMapFlags.Read | DmaMapFlags.Write);
        // A device thread (here the test's), not a message callback: possible only because
        // nothing but DMA replies comes back on the twin socket.
        pair.Device.Host.DmaWrite(0x200100, [1, 2, 3, 4]);
        Assert.Equal([1, 2, 3, 4], memory.Bytes.AsSpan(0x100, 4).ToArray());
        byte[] back = new byte[4];
        pair.Device.Host.DmaRead(0x200100, back);
        Assert.Equal([1, 2, 3, 4], back);
        // Commands on the main socket go on meanwhile; the doorbell's DMA goes through the twin too.
        memory.Bytes.AsSpan(0x200, 16).Fill(0x42);
        pair.Client.WriteRegion(0, 8, BitConverter.GetBytes(0x200200UL));
        pair.Client.WriteRegion(0, 0x10, BitConverter.GetBytes(0x200800UL));
        pair.Client.WriteRegionU32(0, 4, 1);
        Assert.True(memory.Bytes.AsSpan(0x800, 16).ToArray().All(b => b == 0x42));
    });

    [Fact(Timeout = Timeout)]
    public Task WithoutTwinSocketDmaStaysOnTheMainSocket() => Task.Run(() =>
    {
        var memory = new GuestBytes(0x200000, 0x1000);
        using var pair = new Pair(new VfioUserClientOptions { DmaTarget = memory, RequestTwinSocket = false });
        Assert.False(pair.Client.TwinSocketActive);
        Assert.DoesNotContain("twin_socket", pair.Client.ServerCapabilitiesJson, StringComparison.Ordinal);
        pair.Client.DmaMap(0x200000, 0x1000, DmaMapFlags.Read | DmaMapFlags.Write);
        // Off the serving thread the request goes out on the main socket and the serving thread,
        // which alone reads it, hands the reply over (issue 17: device DMA runs asynchronously).
        pair.Device.Host.DmaWrite(0x200100, [1, 2]);
        Assert.Equal<byte>([1, 2], memory.Bytes.AsSpan(0x100, 2).ToArray());
        byte[] back = new byte[2];
        pair.Device.Host.DmaRead(0x200100, back);
        Assert.Equal<byte>([1, 2], back);
        memory.Bytes.AsSpan(0, 16).Fill(0x17);
        pair.Client.WriteRegion(0, 8, BitConverter.GetBytes(0x200000UL));
        pair.Client.WriteRegion(0, 0x10, BitConverter.GetBytes(0x200400UL));
        pair.Client.WriteRegionU32(0, 4, 1);
        Assert.True(memory.Bytes.AsSpan(0x400, 16).ToArray().All(b => b == 0x17));
    });

    [Fact(Timeout = Timeout)]
    public Task ServerThatDoesNotOfferItLeavesTheKeyOut() => Task.Run(() =>
    {
        var memory = new GuestBytes(0x200000, 0x1000);
        using var pair = new Pair(new VfioUserClientOptions { DmaTarget = memory }, new VfioUserServerOptions { OfferTwinSocket = false });
        Assert.False(pair.Client.TwinSocketActive);
        Assert.Null(pair.Client.ServerCapabilities.TwinSocket);
        pair.Client.DmaMap(0x200000, 0x1000, DmaMapFlags.Read | DmaMapFlags.Write);
        memory.Bytes.AsSpan(0, 16).Fill(0x29);
        pair.Client.WriteRegion(0, 8, BitConverter.GetBytes(0x200000UL));
        pair.Client.WriteRegion(0, 0x10, BitConverter.GetBytes(0x200400UL));
        pair.Client.WriteRegionU32(0, 4, 1);
        Assert.True(memory.Bytes.AsSpan(0x400, 16).ToArray().All(b => b == 0x29));
    });

    [Fact(Timeout = Timeout)]
    public Task VersionReplyCarriesOneFdAtFdIndexZero() => Task.Run(() =>
    {
        using var server = new RawServerPeer();
        using ReceivedMessage reply = server.Negotiate("{\"capabilities\":{\"twin_socket\":{\"supported\":true}}}");
        Assert.Equal(1, reply.FdCount);
        VersionPayload version = VersionPayload.Decode(reply.Payload);
        Assert.Contains("\"twin_socket\":{\"supported\":true,\"fd_index\":0}", version.Capabilities, StringComparison.Ordinal);
        // "supported": false is no request.
        using var other = new RawServerPeer();
        using ReceivedMessage plain = other.Negotiate("{\"capabilities\":{\"twin_socket\":{\"supported\":false}}}");
        Assert.Equal(0, plain.FdCount);
        Assert.DoesNotContain("twin_socket", VersionPayload.Decode(plain.Payload).Capabilities, StringComparison.Ordinal);
    });

    [Fact(Timeout = Timeout)]
    public Task AWrongDmaReplyOnTheTwinDropsTheClientAndTheServerGoesOn() => Task.Run(() =>
    {
        using var server = new RawServerPeer(new VfioUserServerOptions { DmaReplyTimeout = TimeSpan.FromSeconds(2) });
        using ReceivedMessage reply = server.Negotiate("{\"capabilities\":{\"twin_socket\":{\"supported\":true}}}");
        using var twin = new MessageChannel(UnixSocket.FromHandle(reply.TakeFd(0)), 1 << 21, 0);
        server.Main.Send(new MessageHeader(2, VfioUserCommand.DmaMap, 0, MessageFlags.Command, 0), new DmaMapRequest(DmaMapFlags.Read | DmaMapFlags.Write, 0, 0x200000, 0x1000));
        Assert.False(server.Main.Receive()!.Header.IsError);
        // The doorbell makes the device DMA_READ 16 bytes: it comes on the twin, not the main socket.
        server.PointDmaAt(0x200000);
        server.Main.Send(new MessageHeader(3, VfioUserCommand.RegionWrite, 0, MessageFlags.Command, 0), new RegionAccess(4, 0, 4, new byte[4]));
        Assert.True(Poller.WaitReadable(twin.Socket.Handle, Long));
        using ReceivedMessage dmaRead = twin.Receive()!;
        Assert.Equal(VfioUserCommand.DmaRead, dmaRead.Header.Command);
        Assert.False(Poller.WaitReadable(server.Main.Socket.Handle, TimeSpan.FromMilliseconds(100)));
        // A reply with the wrong id: the server gives up on this client instead of waiting.
        twin.Send(new MessageHeader((ushort)(dmaRead.Header.MessageId + 1), VfioUserCommand.DmaRead, 0, MessageFlags.Reply, 0), new DmaAccess(0x200000, 16, new byte[16]));
        Assert.True(server.Ended(Long), "the server did not drop the client");
    });

    [Fact(Timeout = Timeout)]
    public Task AClientThatNeverAnswersOnTheTwinTimesOut() => Task.Run(() =>
    {
        using var server = new RawServerPeer(new VfioUserServerOptions { DmaReplyTimeout = TimeSpan.FromMilliseconds(300) });
        using ReceivedMessage reply = server.Negotiate("{\"capabilities\":{\"twin_socket\":{\"supported\":true}}}");
        using SafeFd twin = reply.TakeFd(0);
        server.Main.Send(new MessageHeader(2, VfioUserCommand.DmaMap, 0, MessageFlags.Command, 0), new DmaMapRequest(DmaMapFlags.Read | DmaMapFlags.Write, 0, 0x200000, 0x1000));
        Assert.False(server.Main.Receive()!.Header.IsError);
        server.PointDmaAt(0x200000);
        server.Main.Send(new MessageHeader(3, VfioUserCommand.RegionWrite, 0, MessageFlags.Command, 0), new RegionAccess(4, 0, 4, new byte[4]));
        Assert.True(server.Ended(Long), "the server kept waiting for a DMA reply");
    });

    public static TheoryData<string, string, int, bool> BadGrants => new()
    {
        // name, reply JSON, fds sent, client asks
        { "granted without an fd", "{\"capabilities\":{\"twin_socket\":{\"supported\":true,\"fd_index\":0}}}", 0, true },
        { "fd_index past the fds", "{\"capabilities\":{\"twin_socket\":{\"supported\":true,\"fd_index\":1}}}", 1, true },
        { "fd_index missing", "{\"capabilities\":{\"twin_socket\":{\"supported\":true}}}", 1, true },
        { "granted unasked", "{\"capabilities\":{\"twin_socket\":{\"supported\":true,\"fd_index\":0}}}", 1, false },
    };

    [Theory(Timeout = Timeout)]
    [MemberData(nameof(BadGrants))]
    public Task ClientRefusesABadGrantWithEio(string name, string json, int fds, bool ask) => Task.Run(() =>
    {
        (UnixSocket serverEnd, UnixSocket clientEnd) = UnixSocket.CreatePair();
        using var fake = new MessageChannel(serverEnd, 1 << 20, 8);
        var serving = new Thread(() =>
        {
            using ReceivedMessage? request = fake.Receive();
            if (request is null)
            {
                return;
            }
            (UnixSocket a, UnixSocket b) = UnixSocket.CreatePair();
            using (a)
            using (b)
            {
                SafeFd[] handed = fds == 0 ? [] : [b.Handle];
                fake.Send(new MessageHeader(request.Header.MessageId, VfioUserCommand.Version, 0, MessageFlags.Reply, 0), new VersionPayload(0, 2, json), handed);
            }
        }) { IsBackground = true };
        serving.Start();
        var e = Assert.Throws<VfioUserException>(() => VfioUserClient.Open(clientEnd, new VfioUserClientOptions { RequestTwinSocket = ask, ReplyTimeout = Long }));
        Assert.True(e.Errno == Errno.EIO, name);
        Assert.True(serving.Join(Long));
    });

    /// <summary>The server under test with a hand-driven client on its main socket.</summary>
    private sealed class RawServerPeer : IDisposable
    {
        private readonly TestDevice _device = new();
        private readonly Thread _thread;

        public RawServerPeer(VfioUserServerOptions? options = null)
        {
            var server = new VfioUserServer(_device, options);
            (UnixSocket serverEnd, UnixSocket clientEnd) = UnixSocket.CreatePair();
            Main = new MessageChannel(clientEnd, 1 << 21, 8);
            _thread = new Thread(() => server.Serve(serverEnd)) { IsBackground = true };
            _thread.Start();
        }

        public MessageChannel Main { get; }

        public ReceivedMessage Negotiate(string json)
        {
            Main.Send(new MessageHeader(1, VfioUserCommand.Version, 0, MessageFlags.Command, 0), new VersionPayload(0, 2, json));
            Assert.True(Poller.WaitReadable(Main.Socket.Handle, Long));
            ReceivedMessage reply = Main.Receive()!;
            Assert.False(reply.Header.IsError);
            return reply;
        }

        /// <summary>The test device's DMA source and destination registers (BAR0 0x8, 0x10).</summary>
        public void PointDmaAt(ulong address)
        {
            foreach (ulong register in new ulong[] { 8, 0x10 })
            {
                Main.Send(new MessageHeader(9, VfioUserCommand.RegionWrite, 0, MessageFlags.Command, 0), new RegionAccess(register, 0, 8, BitConverter.GetBytes(address)));
                Assert.True(Poller.WaitReadable(Main.Socket.Handle, Long));
                using ReceivedMessage reply = Main.Receive()!;
                Assert.False(reply.Header.IsError);
            }
        }

        public bool Ended(TimeSpan timeout) => _thread.Join(timeout);

        public void Dispose()
        {
            Main.Dispose();
            _thread.Join(Long);
            _device.Dispose();
        }
    }

    private sealed class GuestBytes(ulong baseAddress, int size) : IVfioUserDmaTarget
    {
        public byte[] Bytes { get; } = new byte[size];

        public void Read(ulong address, Span<byte> destination) => Bytes.AsSpan((int)(address - baseAddress), destination.Length).CopyTo(destination);

        public void Write(ulong address, ReadOnlySpan<byte> source) => source.CopyTo(Bytes.AsSpan((int)(address - baseAddress)));
    }
}
