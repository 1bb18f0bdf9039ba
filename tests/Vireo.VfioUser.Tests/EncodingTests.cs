namespace Vireo.VfioUser.Tests;

/// <summary>Byte-exact encodings of every message body (vfio-user.rst layouts, little-endian,
/// packed). Each case also round-trips through its decoder.</summary>
public sealed class EncodingTests
{
    public static TheoryData<string, IVfioUserPayload, string> Payloads => new()
    {
        { "VERSION", new VersionPayload(0, 2, "{}"), "0000 0200 7b7d00" },
        { "VERSION no JSON", new VersionPayload(0, 0, null), "0000 0000" },
        { "DMA_MAP", new DmaMapRequest(DmaMapFlags.Read | DmaMapFlags.Write, 0x1000, 0x100000, 0x2000), "20000000 03000000 0010000000000000 0000100000000000 0020000000000000" },
        { "DMA_UNMAP", new DmaUnmapRequest(DmaUnmapFlags.None, 0x100000, 0x2000), "18000000 00000000 0000100000000000 0020000000000000" },
        { "DMA_UNMAP all", new DmaUnmapRequest(DmaUnmapFlags.All, 0, 0), "18000000 02000000 0000000000000000 0000000000000000" },
        { "DEVICE_GET_INFO request", DeviceInfo.Request, "10000000 00000000 00000000 00000000" },
        { "DEVICE_GET_INFO reply", new DeviceInfo(16, DeviceInfoFlags.Reset | DeviceInfoFlags.Pci, 9, 5), "10000000 03000000 09000000 05000000" },
        { "GET_REGION_INFO request", RegionInfo.Request(7), "20000000 00000000 07000000 00000000 0000000000000000 0000000000000000" },
        // The libvfio-user samples/server BAR1 answer (observed): flags 0xf, caps at 32,
        // sparse areas (0,0x1000),(0x2000,0x1000).
        {
            "GET_REGION_INFO reply with sparse mmap",
            new RegionInfo(80, (RegionInfoFlags)0xf, 1, 32, 0x4000, 0, [new SparseMmapArea(0, 0x1000), new SparseMmapArea(0x2000, 0x1000)]),
            "50000000 0f000000 01000000 20000000 0040000000000000 0000000000000000 0100 0100 00000000 02000000 00000000 0000000000000000 0010000000000000 0020000000000000 0010000000000000"
        },
        { "GET_REGION_IO_FDS", RegionIoFds.Request(1), "10000000 00000000 01000000 00000000" },
        { "GET_IRQ_INFO", new IrqInfo(16, IrqInfoFlags.EventFd, 2, 4), "10000000 01000000 02000000 04000000" },
        { "SET_IRQS eventfd", new IrqSet(IrqSetFlags.DataEventFd | IrqSetFlags.ActionTrigger, 0, 0, 1, ReadOnlyMemory<byte>.Empty), "14000000 24000000 00000000 00000000 01000000" },
        { "SET_IRQS unmask eventfd", new IrqSet(IrqSetFlags.DataEventFd | IrqSetFlags.ActionUnmask, 0, 0, 1, ReadOnlyMemory<byte>.Empty), "14000000 14000000 00000000 00000000 01000000" },
        { "SET_IRQS unmask bool", new IrqSet(IrqSetFlags.DataBool | IrqSetFlags.ActionUnmask, 0, 0, 1, new byte[] { 1 }), "15000000 12000000 00000000 00000000 01000000 01" },
        { "SET_IRQS bool", new IrqSet(IrqSetFlags.DataBool | IrqSetFlags.ActionTrigger, 2, 1, 2, new byte[] { 1, 0 }), "16000000 22000000 02000000 01000000 02000000 0100" },
        { "REGION_READ request", new RegionAccess(0x10, 7, 4, ReadOnlyMemory<byte>.Empty), "1000000000000000 07000000 04000000" },
        { "REGION_WRITE request", new RegionAccess(0x10, 7, 4, new byte[] { 0xde, 0xad, 0xbe, 0xef }), "1000000000000000 07000000 04000000 deadbeef" },
        { "DMA_READ request", new DmaAccess(0x1000, 4, ReadOnlyMemory<byte>.Empty), "0010000000000000 0400000000000000" },
        { "DMA_WRITE request", new DmaAccess(0x1000, 4, new byte[] { 1, 2, 3, 4 }), "0010000000000000 0400000000000000 01020304" },
        { "DEVICE_RESET", default(EmptyPayload), "" },
        { "REGION_WRITE_MULTI", new RegionWriteMulti([new RegionWriteEntry(4, 0, 4, 0x11223344)]), "0100000000000000 0400000000000000 00000000 04000000 4433221100000000" },
        { "DEVICE_FEATURE MIG_DEVICE_STATE set", DeviceFeature.Create(DeviceFeatureId.MigDeviceState, DeviceFeatureFlags.Set, new byte[] { 2, 0, 0, 0, 0, 0, 0, 0 }), "10000000 02000200 02000000 00000000" },
        { "DEVICE_FEATURE MIGRATION get", DeviceFeature.Get(DeviceFeatureId.Migration, 8), "10000000 01000100" },
        { "DEVICE_FEATURE LOW_POWER_ENTRY", DeviceFeature.Create(DeviceFeatureId.LowPowerEntry, DeviceFeatureFlags.Set), "08000000 03000200" },
        { "DEVICE_FEATURE LOW_POWER_ENTRY_WITH_WAKEUP", DeviceFeature.Create(DeviceFeatureId.LowPowerEntryWithWakeup, DeviceFeatureFlags.Set, new byte[8]), "10000000 04000200 00000000 00000000" },
        { "DEVICE_FEATURE LOW_POWER_EXIT probe", DeviceFeature.Create(DeviceFeatureId.LowPowerExit, DeviceFeatureFlags.Set | DeviceFeatureFlags.Probe), "08000000 05000600" },
        { "MIG_DATA_READ request", MigData.ReadRequest(4096), "08100000 00100000" },
        { "MIG_DATA_WRITE", MigData.Write(new byte[] { 1, 2 }), "0a000000 02000000 0102" },
    };

    [Theory]
    [MemberData(nameof(Payloads))]
    public void EncodesExactly(string name, IVfioUserPayload payload, string hex)
    {
        byte[] expected = Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));
        byte[] actual = new byte[payload.EncodedLength];
        payload.Encode(actual);
        Assert.True(expected.AsSpan().SequenceEqual(actual), $"{name}: {Convert.ToHexString(actual)}");
    }

    [Fact]
    public void HeaderIsSixteenLittleEndianBytes()
    {
        var header = new MessageHeader(0x1234, VfioUserCommand.RegionRead, 0x20, MessageFlags.Reply | MessageFlags.Error, 22);
        byte[] bytes = new byte[MessageHeader.Size];
        header.Write(bytes);
        Assert.Equal("34120900200000002100000016000000", Convert.ToHexString(bytes));
        Assert.Equal(header, MessageHeader.Read(bytes));
        Assert.True(MessageHeader.Read(bytes).IsError);
    }

    [Fact]
    public void DecodersRoundTrip()
    {
        var info = new RegionInfo(80, (RegionInfoFlags)0xf, 1, 32, 0x4000, 0, [new SparseMmapArea(0, 0x1000), new SparseMmapArea(0x2000, 0x1000)]);
        RegionInfo back = RegionInfo.Decode(Encode(info));
        Assert.Equal(info.SparseAreas, back.SparseAreas);
        Assert.Equal(info with { SparseAreas = null }, back with { SparseAreas = null });
        Assert.Equal(new DmaMapRequest(DmaMapFlags.Read, 1, 2, 3), DmaMapRequest.Decode(Encode(new DmaMapRequest(DmaMapFlags.Read, 1, 2, 3))));
        Assert.Equal(new VersionPayload(0, 2, "{\"a\":1}"), VersionPayload.Decode(Encode(new VersionPayload(0, 2, "{\"a\":1}"))));
        RegionWriteMulti multi = RegionWriteMulti.Decode(Encode(new RegionWriteMulti([new RegionWriteEntry(4, 0, 4, 7)])));
        Assert.Equal(new RegionWriteEntry(4, 0, 4, 7), Assert.Single(multi.Writes));
    }

    [Fact]
    public void CapabilitiesMatchLibvfioUserReplyFormat()
    {
        // The exact reply of libvfio-user's gpio and server samples (observed).
        const string libvfioUser = "{\"capabilities\":{\"max_msg_fds\":8,\"max_data_xfer_size\":1048576,\"migration\":{\"pgsize\":4096}}}";
        var caps = new VfioUserCapabilities { MaxMessageFds = 8, MaxDataTransferSize = 1048576, MigrationPageSize = 4096 };
        Assert.Equal(libvfioUser, caps.ToJson());
        Assert.Equal(caps, VfioUserCapabilities.Parse(libvfioUser));
        VfioUserCapabilities none = VfioUserCapabilities.Parse("{}");
        Assert.Equal(1, none.EffectiveMaxMessageFds);
        Assert.Equal(1048576u, none.EffectiveMaxDataTransferSize);
        Assert.Null(none.VireoLowPower);
    }

    [Theory]
    [InlineData("[1]")]
    [InlineData("{\"capabilities\":{\"max_msg_fds\":-1}}")]
    [InlineData("{\"capabilities\":{\"max_msg_fds\":1025}}")]
    [InlineData("{\"capabilities\":{\"max_msg_fds\":\"8\"}}")]
    [InlineData("{\"capabilities\":{\"migration\":7}}")]
    [InlineData("{\"capabilities\":")]
    public void BadCapabilitiesAreEinval(string json)
    {
        VfioUserException e = Assert.Throws<VfioUserException>(() => VfioUserCapabilities.Parse(json));
        Assert.Equal(Sys.Errno.EINVAL, e.Errno);
    }

    [Fact]
    public void UnknownCapabilityKeysAreIgnored()
    {
        VfioUserCapabilities caps = VfioUserCapabilities.Parse("{\"capabilities\":{\"future\":{\"x\":[1,2]},\"max_msg_fds\":4}}");
        Assert.Equal(4, caps.MaxMessageFds);
    }

    [Theory]
    [InlineData("0000")]
    [InlineData("0000 0200 7b7d")]
    [InlineData("0000 0200 7b00 7d00")]
    public void MalformedVersionIsEinval(string hex)
    {
        byte[] bytes = Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));
        Assert.Equal(Sys.Errno.EINVAL, Assert.Throws<VfioUserException>(() => VersionPayload.Decode(bytes)).Errno);
    }

    [Fact]
    public void RegionCapabilityLoopIsRejected()
    {
        byte[] bytes = Encode(new RegionInfo(48, RegionInfoFlags.Caps, 0, 32, 0, 0, null));
        Array.Resize(ref bytes, 48);
        bytes[32] = 9; // unknown cap id
        bytes[36] = 32; // next points at itself
        Assert.Throws<VfioUserException>(() => RegionInfo.Decode(bytes));
    }

    [Fact]
    public void AcpiValuesDecode()
    {
        Assert.True(AcpiNotification.TryDecode(AcpiNotification.EncodeCode(0x81), out AcpiNotification n));
        Assert.Equal(new AcpiNotification(0x81, 0), n);
        Assert.True(AcpiNotification.TryDecode(AcpiNotification.EncodeOverflow(300), out n));
        Assert.Equal(255, n.Dropped);
        Assert.False(AcpiNotification.TryDecode(1, out _));
    }

    [Fact]
    public void MigrationPathsFollowLibvfioUser()
    {
        Assert.Equal(MigrationState.Stop, VfioUserServer.NextMigrationState(MigrationState.Running, MigrationState.StopCopy));
        Assert.Equal(MigrationState.StopCopy, VfioUserServer.NextMigrationState(MigrationState.Stop, MigrationState.StopCopy));
        Assert.Equal(MigrationState.Error, VfioUserServer.NextMigrationState(MigrationState.StopCopy, MigrationState.PreCopy));
        Assert.Equal(MigrationState.Running, VfioUserServer.NextMigrationState(MigrationState.PreCopy, MigrationState.Resuming));
    }

    private static byte[] Encode(IVfioUserPayload payload)
    {
        byte[] bytes = new byte[payload.EncodedLength];
        payload.Encode(bytes);
        return bytes;
    }
}
