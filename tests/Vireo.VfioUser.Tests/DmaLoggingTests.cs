using Vireo.Sys;

namespace Vireo.VfioUser.Tests;

/// <summary>DEVICE_FEATURE DMA_LOGGING_START/STOP/REPORT: the server logs the pages the device
/// writes by DMA (mapped or by DMA_WRITE message) inside the started ranges, and a report
/// returns and clears them.</summary>
public sealed class DmaLoggingTests
{
    private const int Timeout = 20_000;
    private const ulong Base = 0x100000;
    private const ulong Page = 4096;

    [Fact(Timeout = Timeout)]
    public Task ProbeAnswersForTheThreeFeatures() => Task.Run(() =>
    {
        using var pair = new Pair();
        VfioUserClient c = pair.Client;
        Assert.True(c.ProbeFeature(DeviceFeatureId.DmaLoggingStart, DeviceFeatureFlags.Set));
        Assert.True(c.ProbeFeature(DeviceFeatureId.DmaLoggingStop, DeviceFeatureFlags.Set));
        Assert.True(c.ProbeFeature(DeviceFeatureId.DmaLoggingReport, DeviceFeatureFlags.Get));
        Assert.False(c.ProbeFeature(DeviceFeatureId.DmaLoggingReport, DeviceFeatureFlags.Set));
        Assert.False(c.ProbeFeature(DeviceFeatureId.DmaLoggingStart, DeviceFeatureFlags.Get));
    });

    [Fact(Timeout = Timeout)]
    public Task WritesInsideTheRangesAreReportedOnceAndReadsNever() => Task.Run(() =>
    {
        using var pair = new Pair();
        VfioUserClient c = pair.Client;
        using SafeFd guest = MemFd.Create("guest", 0x8000);
        c.DmaMap(Base, 0x8000, DmaMapFlags.Read | DmaMapFlags.Write, guest);
        Assert.Equal(Page, c.DmaLoggingStart(Page, [new DmaLoggingRange(Base, 0x4000)]));
        IVfioUserDeviceHost host = pair.Device.Host;

        host.DmaWrite(Base + 0x1010, new byte[16]);
        // Crosses from page 2 into page 3.
        host.DmaWrite(Base + 0x2ff8, new byte[16]);
        // Outside the logged range, and a read: neither is logged.
        host.DmaWrite(Base + 0x5000, new byte[16]);
        host.DmaRead(Base, new byte[16]);

        Assert.Equal([0b1110UL], c.DmaLoggingReport(Base, 0x4000, Page));
        // Reported pages are cleared.
        Assert.Equal([0UL], c.DmaLoggingReport(Base, 0x4000, Page));
        host.DmaWrite(Base, new byte[1]);
        Assert.Equal([1UL], c.DmaLoggingReport(Base, 0x4000, Page));

        c.DmaLoggingStop();
        host.DmaWrite(Base, new byte[1]);
        Assert.Equal(Errno.EINVAL, Assert.Throws<VfioUserException>(() => c.DmaLoggingReport(Base, 0x4000, Page)).Errno);
        // Stop is idempotent, and logging can start again.
        c.DmaLoggingStop();
        c.DmaLoggingStart(Page, [new DmaLoggingRange(Base, 0x4000)]);
        Assert.Equal([0UL], c.DmaLoggingReport(Base, 0x4000, Page));
    });

    [Fact(Timeout = Timeout)]
    public Task DmaWriteMessagesAreLoggedToo() => Task.Run(() =>
    {
        var memory = new GuestBytes(0x200000, 0x4000);
        using var pair = new Pair(new VfioUserClientOptions { DmaTarget = memory });
        VfioUserClient c = pair.Client;
        c.DmaMap(0x200000, 0x4000, DmaMapFlags.Read | DmaMapFlags.Write);
        c.DmaLoggingStart(Page, [new DmaLoggingRange(0x200000, 0x4000)]);
        c.WriteRegion(0, 8, BitConverter.GetBytes(0x200000UL));
        c.WriteRegion(0, 0x10, BitConverter.GetBytes(0x203000UL));
        // The doorbell: DMA_READ of the source, DMA_WRITE of the destination, by message.
        c.WriteRegionU32(0, 4, 1);
        Assert.Equal([0b1000UL], c.DmaLoggingReport(0x200000, 0x4000, Page));
    });

    [Fact(Timeout = Timeout)]
    public Task ReportPageSizesOtherThanTheLoggingOne() => Task.Run(() =>
    {
        using var pair = new Pair();
        VfioUserClient c = pair.Client;
        using SafeFd guest = MemFd.Create("guest", 0x10000);
        c.DmaMap(Base, 0x10000, DmaMapFlags.Read | DmaMapFlags.Write, guest);
        IVfioUserDeviceHost host = pair.Device.Host;

        c.DmaLoggingStart(Page, [new DmaLoggingRange(Base, 0x10000)]);
        host.DmaWrite(Base + (1 * Page), new byte[4]);
        host.DmaWrite(Base + (5 * Page), new byte[4]);
        // 8 KiB report pages: logged pages 1 and 5 fall in report pages 0 and 2.
        Assert.Equal([0b101UL], c.DmaLoggingReport(Base, 0x10000, 2 * Page));
        c.DmaLoggingStop();

        c.DmaLoggingStart(2 * Page, [new DmaLoggingRange(Base, 0x10000)]);
        host.DmaWrite(Base + 0x100, new byte[4]);
        // A logged 8 KiB page sets both 4 KiB report pages it spans.
        Assert.Equal([0b11UL], c.DmaLoggingReport(Base, 0x4000, Page));
        host.DmaWrite(Base + 0x100, new byte[4]);
        // A report that covers the logged page only in part keeps it dirty.
        Assert.Equal([1UL], c.DmaLoggingReport(Base, Page, Page));
        Assert.Equal([0b11UL], c.DmaLoggingReport(Base, 2 * Page, Page));
        Assert.Equal([0UL], c.DmaLoggingReport(Base, 2 * Page, Page));
    });

    [Fact(Timeout = Timeout)]
    public Task NoRangesLogsEverythingAndSmallPagesBecomeFourKiB() => Task.Run(() =>
    {
        using var pair = new Pair();
        VfioUserClient c = pair.Client;
        using SafeFd guest = MemFd.Create("guest", 0x8000);
        c.DmaMap(Base, 0x8000, DmaMapFlags.Read | DmaMapFlags.Write, guest);
        Assert.Equal(Page, c.DmaLoggingStart(512, []));
        pair.Device.Host.DmaWrite(Base + 0x7000, new byte[4]);
        Assert.Equal([0x80UL], c.DmaLoggingReport(Base, 0x8000, Page));
    });

    [Fact(Timeout = Timeout)]
    public Task SecondStartIsBusyAndADisconnectStopsLogging() => Task.Run(() =>
    {
        using var pair = new Pair();
        VfioUserClient c = pair.Client;
        c.DmaLoggingStart(Page, [new DmaLoggingRange(Base, 0x4000)]);
        Assert.Equal(Errno.EBUSY, Assert.Throws<VfioUserException>(() => c.DmaLoggingStart(Page, [new DmaLoggingRange(0x900000, 0x1000)])).Errno);
        // The report range must lie inside what is logged, and fit the transfer limit.
        Assert.Equal(Errno.EINVAL, Assert.Throws<VfioUserException>(() => c.DmaLoggingReport(Base, 0x5000, Page)).Errno);
        Assert.Equal(Errno.EINVAL, Assert.Throws<VfioUserException>(() => c.DmaLoggingReport(Base + 0x800, 0x1000, Page)).Errno);
        Assert.Equal(Errno.EINVAL, Assert.Throws<VfioUserException>(() => c.DmaLoggingReport(Base, 0x4000, 3000)).Errno);
    });

    private static byte[] Feature(DeviceFeatureId feature, DeviceFeatureFlags operations, byte[] data, uint? argsz = null)
    {
        DeviceFeature f = DeviceFeature.Create(feature, operations, data);
        return RawPeer.Message(2, VfioUserCommand.DeviceFeature, RawPeer.Encode(argsz is uint a ? f with { Argsz = a } : f));
    }

    private static byte[] Start(ulong pageSize, params DmaLoggingRange[] ranges)
        => Feature(DeviceFeatureId.DmaLoggingStart, DeviceFeatureFlags.Set, new DmaLoggingControl(pageSize, ranges).ToArray());

    public static TheoryData<string, byte[]> BadStarts => new()
    {
        { "page size 0", Start(0, new DmaLoggingRange(Base, 0x1000)) },
        { "page size not a power of two", Start(3000, new DmaLoggingRange(Base, 0x1000)) },
        { "empty range", Start(Page, new DmaLoggingRange(Base, 0)) },
        { "unaligned iova", Start(Page, new DmaLoggingRange(Base + 0x10, 0x1000)) },
        { "unaligned length", Start(Page, new DmaLoggingRange(Base, 0x1800)) },
        { "overlapping ranges", Start(Page, new DmaLoggingRange(Base, 0x3000), new DmaLoggingRange(Base + 0x2000, 0x1000)) },
        { "the same range twice", Start(Page, new DmaLoggingRange(Base, 0x1000), new DmaLoggingRange(Base, 0x1000)) },
        { "wrapping range", Start(Page, new DmaLoggingRange(ulong.MaxValue - 0xfff, 0x2000)) },
        { "num_ranges beyond the data", Feature(DeviceFeatureId.DmaLoggingStart, DeviceFeatureFlags.Set, [.. new DmaLoggingControl(Page, [new DmaLoggingRange(Base, 0x1000)]).ToArray().AsSpan(0, 16), 0, 0, 0, 0]) },
        { "num_ranges huge", Feature(DeviceFeatureId.DmaLoggingStart, DeviceFeatureFlags.Set, RawPeer.U32s(4096, 0, 0xffffffff, 0)) },
        { "control truncated", Feature(DeviceFeatureId.DmaLoggingStart, DeviceFeatureFlags.Set, RawPeer.U32s(4096, 0)) },
        { "report while stopped", Feature(DeviceFeatureId.DmaLoggingReport, DeviceFeatureFlags.Get, new DmaLoggingReport(Base, 0x1000, Page, []).ToArray(), 8 + 24 + 8) },
        { "START with GET", Feature(DeviceFeatureId.DmaLoggingStart, DeviceFeatureFlags.Get, new DmaLoggingControl(Page, []).ToArray()) },
    };

    [Theory(Timeout = Timeout)]
    [MemberData(nameof(BadStarts))]
    public Task BadRequestsGetEinvalAndLoggingStaysOff(string name, byte[] message) => Task.Run(() =>
    {
        using var peer = new RawPeer();
        peer.Send(message);
        MessageHeader reply = peer.ReadReply();
        Assert.True(reply.IsError, name);
        Assert.Equal((uint)Errno.EINVAL, reply.Error);
        // Nothing was started: a good START now succeeds.
        peer.Send(Start(Page, new DmaLoggingRange(Base, 0x1000)));
        Assert.False(peer.ReadReply().IsError, name);
    });

    public static TheoryData<string, byte[]> BadReports => new()
    {
        { "argsz without room for the bitmap", Feature(DeviceFeatureId.DmaLoggingReport, DeviceFeatureFlags.Get, new DmaLoggingReport(Base, 0x1000, Page, []).ToArray(), 8 + 24) },
        { "report truncated", Feature(DeviceFeatureId.DmaLoggingReport, DeviceFeatureFlags.Get, RawPeer.U32s(0, 0x10, 0, 0), 64) },
        { "bitmap beyond the transfer limit", Feature(DeviceFeatureId.DmaLoggingReport, DeviceFeatureFlags.Get, new DmaLoggingReport(0, 1UL << 40, Page, []).ToArray(), uint.MaxValue) },
        { "report page size 0", Feature(DeviceFeatureId.DmaLoggingReport, DeviceFeatureFlags.Get, new DmaLoggingReport(Base, 0x1000, 0, []).ToArray(), 64) },
        { "report length 0", Feature(DeviceFeatureId.DmaLoggingReport, DeviceFeatureFlags.Get, new DmaLoggingReport(Base, 0, Page, []).ToArray(), 64) },
        { "report wraps", Feature(DeviceFeatureId.DmaLoggingReport, DeviceFeatureFlags.Get, new DmaLoggingReport(ulong.MaxValue - 0xfff, 0x2000, Page, []).ToArray(), 64) },
    };

    [Theory(Timeout = Timeout)]
    [MemberData(nameof(BadReports))]
    public Task BadReportsGetEinvalAndTheServerGoesOn(string name, byte[] message) => Task.Run(() =>
    {
        using var peer = new RawPeer();
        // Log everything, so only the report itself can be wrong.
        peer.Send(Start(Page));
        Assert.False(peer.ReadReply().IsError);
        peer.Send(message);
        MessageHeader reply = peer.ReadReply();
        Assert.True(reply.IsError, name);
        Assert.Equal((uint)Errno.EINVAL, reply.Error);
        Assert.True(peer.StillServes(), name);
    });

    [Fact]
    public void ControlAndReportEncodeExactly()
    {
        var control = new DmaLoggingControl(0x1000, [new DmaLoggingRange(0x100000, 0x4000), new DmaLoggingRange(0x200000, 0x1000)]);
        Assert.Equal(
            Convert.FromHexString("0010000000000000" + "02000000" + "00000000" + "0000100000000000" + "0040000000000000" + "0000200000000000" + "0010000000000000"),
            control.ToArray());
        DmaLoggingControl decoded = DmaLoggingControl.Decode(control.ToArray());
        Assert.Equal(control.PageSize, decoded.PageSize);
        Assert.Equal(control.Ranges, decoded.Ranges);

        var report = new DmaLoggingReport(0x100000, 0x4000, 0x1000, [0xe]);
        byte[] bytes = report.ToArray();
        Assert.Equal(Convert.FromHexString("0000100000000000" + "0040000000000000" + "0010000000000000" + "0e00000000000000"), bytes);
        Assert.Equal([0xeUL], DmaLoggingReport.Decode(bytes).Bitmap);
        // The whole DEVICE_FEATURE: argsz, flags (REPORT | GET), the report.
        Assert.Equal(
            Convert.FromHexString("28000000" + "08000100") .Concat(bytes).ToArray(),
            RawPeer.Encode(DeviceFeature.Create(DeviceFeatureId.DmaLoggingReport, DeviceFeatureFlags.Get, bytes)));
    }

    private sealed class GuestBytes(ulong baseAddress, int size) : IVfioUserDmaTarget
    {
        public byte[] Bytes { get; } = new byte[size];

        public void Read(ulong address, Span<byte> destination) => Bytes.AsSpan((int)(address - baseAddress), destination.Length).CopyTo(destination);

        public void Write(ulong address, ReadOnlySpan<byte> source) => source.CopyTo(Bytes.AsSpan((int)(address - baseAddress)));
    }
}
