using Vireo.Sys;

namespace Vireo.VfioUser.Tests;

/// <summary>Issue 17: what a hostile client did to the server, each one a regression test.</summary>
public sealed class HostilePeerTests
{
    private const int Timeout = 30_000;

    // A client may announce any max_data_xfer_size up to 4 GiB; the server must not trust it.
    private const string HugeTransferJson = """{"capabilities":{"max_data_xfer_size":4294967295}}""";

    [Fact(Timeout = Timeout)]
    public Task MigDataReadIsCappedByTheServersOwnLimitNotTheClients() => Task.Run(() =>
    {
        using var peer = new RawPeer(versionJson: HugeTransferJson);
        // DEVICE_FEATURE SET MIG_DEVICE_STATE = STOP_COPY (3).
        peer.Send(RawPeer.Message(2, VfioUserCommand.DeviceFeature, RawPeer.U32s(16, 0x20002, 3, 0)));
        Assert.False(peer.ReadReply().IsError);
        peer.Send(RawPeer.Message(3, VfioUserCommand.MigDataRead, RawPeer.Encode(MigData.ReadRequest(1u << 30))));
        MessageHeader reply = peer.ReadReply();
        Assert.True(reply.IsError);
        Assert.Equal((uint)Errno.EINVAL, reply.Error);
        // At the server's own limit the read is served.
        peer.Send(RawPeer.Message(4, VfioUserCommand.MigDataRead, RawPeer.Encode(MigData.ReadRequest(VfioUserCapabilities.DefaultMaxDataTransferSize))));
        Assert.False(peer.ReadReply().IsError);
        Assert.True(peer.StillServes());
    });

    [Fact(Timeout = Timeout)]
    public Task DmaLoggingReportBitmapIsBoundedByTheServersOwnLimit() => Task.Run(() =>
    {
        using var peer = new RawPeer(versionJson: HugeTransferJson);
        // DMA_LOGGING_START, page size 4 KiB, no ranges (all of IOVA space).
        peer.Send(RawPeer.Message(2, VfioUserCommand.DeviceFeature, RawPeer.U32s(24, 0x20006, 4096, 0, 0, 0)));
        Assert.False(peer.ReadReply().IsError);
        // DMA_LOGGING_REPORT over 2^45 bytes at 4 KiB pages: a 1 GiB bitmap.
        peer.Send(RawPeer.Message(3, VfioUserCommand.DeviceFeature, RawPeer.U32s(uint.MaxValue, 0x10008, 0, 0, 0, 1u << 13, 4096, 0)));
        MessageHeader reply = peer.ReadReply();
        Assert.True(reply.IsError);
        Assert.Equal((uint)Errno.EINVAL, reply.Error);
        Assert.True(peer.StillServes());
    });

    [Fact(Timeout = Timeout)]
    public Task DmaMapLargerThanThePassedFileIsRefused() => Task.Run(() =>
    {
        using var pair = new Pair();
        using SafeFd guest = MemFd.Create("guest", 0x1000);
        VfioUserException e = Assert.Throws<VfioUserException>(() => pair.Client.DmaMap(0x100000, 0x10000, DmaMapFlags.Read | DmaMapFlags.Write, guest, 0));
        Assert.Equal(Errno.EINVAL, e.Errno);
        // A file offset that puts the map past the end is refused the same way.
        using SafeFd exact = MemFd.Create("guest", 0x10000);
        Assert.Equal(Errno.EINVAL, Assert.Throws<VfioUserException>(() => pair.Client.DmaMap(0x100000, 0x10000, DmaMapFlags.Read, exact, 0x1000)).Errno);
        Assert.Equal(Errno.EFAULT, Assert.Throws<VfioUserException>(() => pair.Server.DmaRead(0x10f000, new byte[16])).Errno);
        Assert.Equal(9u, pair.Client.GetDeviceInfo().NumRegions);
    });

    [Fact(Timeout = Timeout)]
    public Task SealableGuestMemoryIsSealedAgainstShrinkingAndMapped() => Task.Run(() =>
    {
        using var pair = new Pair();
        using SafeFd guest = MemFd.Create("guest", 0x10000, allowSealing: true);
        pair.Client.DmaMap(0x100000, 0x10000, DmaMapFlags.Read | DmaMapFlags.Write, guest, 0);
        Assert.Equal(Errno.EPERM, Assert.Throws<ErrnoException>(() => FileDescriptor.Truncate(guest, 0x1000)).Errno);
        pair.Server.DmaWrite(0x10fff0, [1, 2, 3, 4]);
        byte[] back = new byte[4];
        Assert.Equal(4, FileDescriptor.ReadAt(guest, 0xfff0, back));
        Assert.Equal<byte>([1, 2, 3, 4], back);
    });

    [Fact(Timeout = Timeout)]
    public Task UnsealableGuestMemoryCutShortGivesEfaultNotSigbus() => Task.Run(() =>
    {
        using var pair = new Pair();
        using SafeFd guest = MemFd.Create("guest", 0x10000);
        pair.Client.DmaMap(0x100000, 0x10000, DmaMapFlags.Read | DmaMapFlags.Write, guest, 0);
        // The client shrinks its file behind the server's back.
        FileDescriptor.Truncate(guest, 0x1000);
        Assert.Equal(Errno.EFAULT, Assert.Throws<VfioUserException>(() => pair.Server.DmaRead(0x108000, new byte[16])).Errno);
        Assert.Equal(Errno.EFAULT, Assert.Throws<VfioUserException>(() => pair.Server.DmaWrite(0x10fff0, new byte[16])).Errno);
        Assert.Equal(0x1000, FileDescriptor.GetSize(guest));
        pair.Server.DmaWrite(0x100010, [9, 8]);
        byte[] back = new byte[2];
        pair.Server.DmaRead(0x100010, back);
        Assert.Equal<byte>([9, 8], back);
        Assert.Equal(9u, pair.Client.GetDeviceInfo().NumRegions);
    });
}
