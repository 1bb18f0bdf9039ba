using Vireo.Sys;

namespace Vireo.VfioUser.Tests;

/// <summary>Malformed, truncated, oversized and out-of-order input gets an error reply or a
/// clean disconnect, never a crash or a hang.</summary>
public sealed class MalformedInputTests
{
    private const int Timeout = 20_000;

    public static TheoryData<string, byte[]> ErrorReplies => new()
    {
        { "unknown command 14", RawPeer.Message(2, (VfioUserCommand)14, [1, 2, 3, 4]) },
        { "unknown command 999", RawPeer.Message(2, (VfioUserCommand)999, [1]) },
        { "bare header for GET_INFO", RawPeer.Message(2, VfioUserCommand.DeviceGetInfo, []) },
        { "truncated GET_INFO", RawPeer.Message(2, VfioUserCommand.DeviceGetInfo, [16, 0]) },
        { "GET_INFO argsz 8", RawPeer.Message(2, VfioUserCommand.DeviceGetInfo, RawPeer.U32s(8, 0, 0, 0)) },
        { "region index 9", RawPeer.Message(2, VfioUserCommand.DeviceGetRegionInfo, RawPeer.Encode(RegionInfo.Request(9))) },
        { "region info argsz 16", RawPeer.Message(2, VfioUserCommand.DeviceGetRegionInfo, RawPeer.Encode(RegionInfo.Request(0, 16))) },
        { "read past region end", RawPeer.Message(2, VfioUserCommand.RegionRead, RawPeer.Encode(new RegionAccess(0xfe, 0, 4, ReadOnlyMemory<byte>.Empty))) },
        { "read offset overflow", RawPeer.Message(2, VfioUserCommand.RegionRead, RawPeer.Encode(new RegionAccess(ulong.MaxValue - 1, 7, 4, ReadOnlyMemory<byte>.Empty))) },
        { "read of 0 bytes", RawPeer.Message(2, VfioUserCommand.RegionRead, RawPeer.Encode(new RegionAccess(0, 7, 0, ReadOnlyMemory<byte>.Empty))) },
        { "read of empty BAR", RawPeer.Message(2, VfioUserCommand.RegionRead, RawPeer.Encode(new RegionAccess(0, 1, 4, ReadOnlyMemory<byte>.Empty))) },
        { "write count mismatch", RawPeer.Message(2, VfioUserCommand.RegionWrite, [.. RawPeer.Encode(new RegionAccess(0, 7, 8, ReadOnlyMemory<byte>.Empty)), 1, 2]) },
        { "read too large", RawPeer.Message(2, VfioUserCommand.RegionRead, RawPeer.Encode(new RegionAccess(0, 7, 0x200000, ReadOnlyMemory<byte>.Empty))) },
        { "IRQ index 6", RawPeer.Message(2, VfioUserCommand.DeviceGetIrqInfo, RawPeer.Encode(IrqInfo.Request(6))) },
        { "SET_IRQS two data types", RawPeer.Message(2, VfioUserCommand.DeviceSetIrqs, RawPeer.Encode(new IrqSet(IrqSetFlags.DataNone | IrqSetFlags.DataBool | IrqSetFlags.ActionTrigger, 0, 0, 1, ReadOnlyMemory<byte>.Empty))) },
        { "SET_IRQS start+count overflow", RawPeer.Message(2, VfioUserCommand.DeviceSetIrqs, RawPeer.Encode(new IrqSet(IrqSetFlags.DataNone | IrqSetFlags.ActionTrigger, 2, uint.MaxValue, 2, ReadOnlyMemory<byte>.Empty))) },
        { "SET_IRQS argsz beyond payload", RawPeer.Message(2, VfioUserCommand.DeviceSetIrqs, RawPeer.U32s(200, 0x21, 0, 0, 1)) },
        { "SET_IRQS eventfd without fds mismatch", RawPeer.Message(2, VfioUserCommand.DeviceSetIrqs, RawPeer.Encode(new IrqSet(IrqSetFlags.DataEventFd | IrqSetFlags.ActionMask, 0, 0, 1, ReadOnlyMemory<byte>.Empty))) },
        { "DMA_MAP size 0", RawPeer.Message(2, VfioUserCommand.DmaMap, RawPeer.Encode(new DmaMapRequest(DmaMapFlags.Read, 0, 0x1000, 0))) },
        { "DMA_MAP wraps", RawPeer.Message(2, VfioUserCommand.DmaMap, RawPeer.Encode(new DmaMapRequest(DmaMapFlags.Read, 0, ulong.MaxValue - 10, 0x1000))) },
        { "DMA_MAP bad flags", RawPeer.Message(2, VfioUserCommand.DmaMap, RawPeer.Encode(new DmaMapRequest((DmaMapFlags)0x80, 0, 0x1000, 0x1000))) },
        { "DMA_UNMAP of nothing", RawPeer.Message(2, VfioUserCommand.DmaUnmap, RawPeer.Encode(new DmaUnmapRequest(DmaUnmapFlags.None, 0x1000, 0x1000))) },
        { "WRITE_MULTI count 0", RawPeer.Message(2, VfioUserCommand.RegionWriteMulti, new byte[8]) },
        { "WRITE_MULTI count lies", RawPeer.Message(2, VfioUserCommand.RegionWriteMulti, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]) },
        { "feature 0", RawPeer.Message(2, VfioUserCommand.DeviceFeature, RawPeer.U32s(8, 0x10000)) },
        { "feature GET|SET", RawPeer.Message(2, VfioUserCommand.DeviceFeature, RawPeer.U32s(16, 0x30002, 2, 0)) },
        { "feature GET argsz too small", RawPeer.Message(2, VfioUserCommand.DeviceFeature, RawPeer.U32s(8, 0x10001)) },
        { "migration state 5", RawPeer.Message(2, VfioUserCommand.DeviceFeature, RawPeer.U32s(16, 0x20002, 5, 0)) },
        { "MIG_DATA_READ while running", RawPeer.Message(2, VfioUserCommand.MigDataRead, RawPeer.Encode(MigData.ReadRequest(16))) },
        { "MIG_DATA_WRITE while running", RawPeer.Message(2, VfioUserCommand.MigDataWrite, RawPeer.Encode(MigData.Write(new byte[4]))) },
        { "VERSION twice", RawPeer.Message(2, VfioUserCommand.Version, RawPeer.Encode(new VersionPayload(0, 2, null))) },
        { "a reply where a command belongs", RawPeer.Message(2, VfioUserCommand.DeviceGetInfo, RawPeer.Encode(DeviceInfo.Request), MessageFlags.Reply) },
        { "DMA_READ sent to the server", RawPeer.Message(2, VfioUserCommand.DmaRead, RawPeer.Encode(new DmaAccess(0, 4, ReadOnlyMemory<byte>.Empty))) },
    };

    [Theory(Timeout = Timeout)]
    [MemberData(nameof(ErrorReplies))]
    public Task GetsAnErrorReplyAndKeepsServing(string name, byte[] message) => Task.Run(() =>
    {
        using var peer = new RawPeer();
        peer.Send(message);
        MessageHeader reply = peer.ReadReply();
        Assert.True(reply.IsError, name);
        Assert.Equal(MessageHeader.Size, (int)reply.MessageSize);
        Assert.Equal(MessageFlags.Reply | MessageFlags.Error, reply.Flags);
        Assert.Equal((uint)Errno.EINVAL, reply.Error == Errno.ENOENT ? (uint)Errno.EINVAL : reply.Error);
        Assert.True(peer.StillServes(), name);
    });

    [Fact(Timeout = Timeout)]
    public Task CommandsBeforeVersionAreRefused() => Task.Run(() =>
    {
        using var peer = new RawPeer(negotiate: false);
        peer.Send(RawPeer.Message(1, VfioUserCommand.DeviceGetInfo, RawPeer.Encode(DeviceInfo.Request)));
        Assert.Equal((uint)Errno.EINVAL, peer.ReadReply().Error);
    });

    [Theory(Timeout = Timeout)]
    [InlineData(1, 0)]
    [InlineData(0xffff, 2)]
    public Task BadMajorVersionGetsEinvalThenClose(ushort major, ushort minor) => Task.Run(() =>
    {
        using var peer = new RawPeer(negotiate: false);
        peer.Send(RawPeer.Message(1, VfioUserCommand.Version, RawPeer.Encode(new VersionPayload(major, minor, null))));
        Assert.Equal((uint)Errno.EINVAL, peer.ReadReply().Error);
        Assert.True(peer.ServerEnded(TimeSpan.FromSeconds(5)));
    });

    [Fact(Timeout = Timeout)]
    public Task MinorVersionIsDowngraded() => Task.Run(() =>
    {
        using var peer = new RawPeer(negotiate: false);
        peer.Send(RawPeer.Message(1, VfioUserCommand.Version, RawPeer.Encode(new VersionPayload(0, 9, null))));
        MessageHeader reply = peer.ReadReply();
        Assert.False(reply.IsError);
    });

    public static TheoryData<string, byte[]> Disconnects => new()
    {
        { "msg_size below the header", RawPeer.Message(2, VfioUserCommand.DeviceGetInfo, [], size: 8) },
        { "msg_size of 4 GiB", RawPeer.Message(2, VfioUserCommand.DeviceGetInfo, [], size: uint.MaxValue) },
        { "msg_size just over the limit", RawPeer.Message(2, VfioUserCommand.RegionWrite, [], size: 1024 * 1024 + 16 + 16 + 1) },
    };

    [Theory(Timeout = Timeout)]
    [MemberData(nameof(Disconnects))]
    public Task FramingFaultsDisconnectCleanly(string name, byte[] message) => Task.Run(() =>
    {
        using var peer = new RawPeer();
        peer.Send(message);
        Assert.True(peer.ServerEnded(TimeSpan.FromSeconds(5)), name);
    });

    [Fact(Timeout = Timeout)]
    public Task TruncatedMessageThenCloseEndsTheSession() => Task.Run(() =>
    {
        using var peer = new RawPeer();
        byte[] message = RawPeer.Message(2, VfioUserCommand.DeviceGetInfo, RawPeer.Encode(DeviceInfo.Request));
        peer.Send(message.AsSpan(0, 20));
        peer.Socket.Shutdown();
        Assert.True(peer.ServerEnded(TimeSpan.FromSeconds(5)));
    });

    [Fact(Timeout = Timeout)]
    public Task TooManyFdsDisconnect() => Task.Run(() =>
    {
        using var peer = new RawPeer();
        EventFd[] events = Enumerable.Range(0, 9).Select(_ => EventFd.Create()).ToArray();
        try
        {
            peer.Send(RawPeer.Message(2, VfioUserCommand.DmaMap, RawPeer.Encode(new DmaMapRequest(DmaMapFlags.Read, 0, 0x1000, 0x1000))), events.Select(e => e.Handle).ToArray());
            Assert.True(peer.ServerEnded(TimeSpan.FromSeconds(5)));
        }
        finally
        {
            foreach (EventFd e in events)
            {
                e.Dispose();
            }
        }
    });

    [Fact(Timeout = Timeout)]
    public Task UnexpectedFdsAreClosedAndRefused() => Task.Run(() =>
    {
        using var peer = new RawPeer();
        using EventFd e = EventFd.Create();
        peer.Send(RawPeer.Message(2, VfioUserCommand.DmaMap, RawPeer.Encode(new DmaMapRequest(DmaMapFlags.Read, 0, 0x1000, 0x1000))), [e.Handle, e.Handle]);
        Assert.Equal((uint)Errno.EINVAL, peer.ReadReply().Error);
        Assert.True(peer.StillServes());
    });
}
