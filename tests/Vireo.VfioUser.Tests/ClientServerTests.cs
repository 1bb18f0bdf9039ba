using System.Buffers.Binary;
using Vireo.Pci;
using Vireo.Sys;

namespace Vireo.VfioUser.Tests;

/// <summary>Client and server libraries against each other in one process, over a socketpair.
/// Every test runs under a timeout so a protocol bug fails instead of hanging.</summary>
public sealed class ClientServerTests
{
    private const int Timeout = 20_000;
    private const uint Config = VfioRegionIndex.Config;

    [Fact(Timeout = Timeout)]
    public Task NegotiatesVersionAndExtensions() => Task.Run(() =>
    {
        using var pair = new Pair();
        Assert.Equal(0, pair.Client.Major);
        Assert.Equal(2, pair.Client.Minor);
        Assert.True(pair.Client.LowPowerAvailable);
        Assert.True(pair.Client.AcpiNotifyAvailable);
        Assert.True(pair.Server.AcpiNotifyNegotiated);
        Assert.Equal(4096UL, pair.Client.ServerCapabilities.MigrationPageSize);
        Assert.Equal(6u, pair.Client.GetDeviceInfo().NumIrqs);
    });

    [Fact(Timeout = Timeout)]
    public Task ATinyMaxDataTransferSizeStillNegotiatesAndLimitsOnlyData() => Task.Run(() =>
    {
        // Both sides at 16 bytes: the VERSION JSON, region infos and IRQ sets are larger than
        // that, and still go through; region data above 16 bytes is refused, not sent.
        using var pair = new Pair(new VfioUserClientOptions { MaxDataTransferSize = 16 }, new VfioUserServerOptions { MaxDataTransferSize = 16 });
        VfioUserClient c = pair.Client;
        Assert.Equal(16u, c.ServerCapabilities.MaxDataTransferSize);
        Assert.Equal(6u, c.GetDeviceInfo().NumIrqs);
        RegionInfo config = c.GetRegionInfo(Config, out SafeFd? fd);
        fd?.Dispose();
        Assert.Equal(256UL, config.Size);
        byte[] header = new byte[16];
        c.ReadRegion(Config, 0, header);
        Assert.Equal(0x10f01af4u, BitConverter.ToUInt32(header));
        byte[] tooBig = new byte[32];
        Assert.Equal(Errno.EINVAL, Assert.Throws<VfioUserException>(() => c.ReadRegion(Config, 0, tooBig)).Errno);
    });

    [Fact(Timeout = Timeout)]
    public Task ExtensionsNeedBothSides() => Task.Run(() =>
    {
        using var pair = new Pair(new VfioUserClientOptions { AnnounceLowPower = false, AnnounceAcpiNotify = false });
        Assert.False(pair.Client.LowPowerAvailable);
        Assert.False(pair.Server.AcpiNotifyNegotiated);
        Assert.Null(pair.Client.ServerCapabilities.VireoLowPower);
        DeviceInfo info = pair.Client.GetDeviceInfo();
        Assert.Equal(new DeviceInfo(16, DeviceInfoFlags.Pci | DeviceInfoFlags.Reset, 9, 5), info);
        // As libvfio-user answers an unknown feature: EINVAL.
        Assert.Equal(Errno.EINVAL, Assert.Throws<VfioUserException>(() => pair.Client.LowPowerEntry()).Errno);
        Assert.Equal(Errno.EINVAL, Assert.Throws<VfioUserException>(() => pair.Client.GetIrqInfo(5)).Errno);
    });

    [Fact(Timeout = Timeout)]
    public Task ConfigSpaceAndCapabilities() => Task.Run(() =>
    {
        using var pair = new Pair();
        VfioUserClient c = pair.Client;
        Assert.Equal(0x10f01af4u, c.ReadRegionU32(Config, 0));
        // BAR sizing: all ones reads back the size mask.
        c.WriteRegionU32(Config, 0x10, 0xffffffff);
        Assert.Equal(0xffffff00u, c.ReadRegionU32(Config, 0x10));
        byte capPointer = (byte)c.ReadRegionU32(Config, 0x34);
        Assert.Equal(0x40, capPointer);
        Assert.Equal(PciConfigSpace.PowerManagementCapabilityId, (byte)c.ReadRegionU32(Config, capPointer));
        // PMCSR to D3hot and back.
        c.WriteRegion(Config, (ulong)capPointer + 4, [3, 0]);
        Assert.Equal(PciPowerState.D3Hot, pair.Device.Config.PowerState);
        RegionInfo config = c.GetRegionInfo(Config, out SafeFd? fd);
        Assert.Null(fd);
        Assert.Equal(256UL, config.Size);
        Assert.Equal(RegionInfoFlags.Read | RegionInfoFlags.Write, config.Flags);
    });

    [Fact(Timeout = Timeout)]
    public Task SharedMemoryBarIsMappable() => Task.Run(() =>
    {
        using var pair = new Pair();
        RegionInfo bar2 = pair.Client.GetRegionInfo(2, out SafeFd? fd);
        using (fd)
        {
            Assert.NotNull(fd);
            Assert.Equal(RegionInfoFlags.Read | RegionInfoFlags.Write | RegionInfoFlags.Mmap | RegionInfoFlags.Caps, bar2.Flags);
            Assert.Equal([new SparseMmapArea(0, 0x1000)], bar2.SparseAreas);
            using MappedMemory map = MappedMemory.MapShared(fd!, 0x1000);
            pair.Client.WriteRegionU32(2, 0x10, 0xcafef00d);
            unsafe
            {
                // Safe: offset 0x10 of a 4 KiB mapping.
                Assert.Equal(0xcafef00du, *(uint*)(map.DangerousGetAddress() + 0x10));
            }
        }
        // A short argsz gets the libvfio-user answer: MMAP but no caps, no fd, argsz needed.
        using ReceivedMessage reply = pair.Client.Request(VfioUserCommand.DeviceGetRegionInfo, RegionInfo.Request(2));
        RegionInfo shortInfo = RegionInfo.Decode(reply.Payload);
        Assert.Equal(0, reply.FdCount);
        Assert.Equal(RegionInfo.Length, reply.Payload.Length);
        Assert.Equal(64u, shortInfo.Argsz);
        Assert.Equal(RegionInfoFlags.Read | RegionInfoFlags.Write | RegionInfoFlags.Mmap, shortInfo.Flags);
    });

    [Fact(Timeout = Timeout)]
    public Task DmaWithMappedMemoryAndMsix() => Task.Run(() =>
    {
        using var pair = new Pair();
        VfioUserClient c = pair.Client;
        using SafeFd guest = MemFd.Create("guest", 0x4000);
        using MappedMemory ram = MappedMemory.MapShared(guest, 0x4000);
        c.DmaMap(0x100000, 0x4000, DmaMapFlags.Read | DmaMapFlags.Write, guest, 0);
        using EventFd vector0 = EventFd.Create();
        c.SetIrqEventFds(VfioIrqIndex.Msix, 0, [vector0]);
        // Enable MSI-X in config (Message Control bit 15).
        int msix = pair.Device.Config.MsixOffset;
        c.WriteRegion(Config, (ulong)msix + 2, [0, 0x80]);
        unsafe
        {
            // Safe: 16 bytes at offset 0x100 of a 16 KiB mapping.
            new Span<byte>((byte*)ram.DangerousGetAddress() + 0x100, 16).Fill(0x5a);
        }
        WriteU64(c, 0, 8, 0x100100);
        WriteU64(c, 0, 0x10, 0x102000);
        c.WriteRegionU32(0, 4, 1);
        Assert.Equal(1UL, vector0.Wait(TimeSpan.FromSeconds(5)));
        unsafe
        {
            // Safe: as above.
            Assert.True(new ReadOnlySpan<byte>((byte*)ram.DangerousGetAddress() + 0x2000, 16).SequenceEqual(Enumerable.Repeat((byte)0x5a, 16).ToArray()));
        }
        c.DmaUnmap(0x100000, 0x4000);
        Assert.Equal(Errno.ENOENT, Assert.Throws<VfioUserException>(() => c.DmaUnmap(0x100000, 0x4000)).Errno);
    });

    [Fact(Timeout = Timeout)]
    public Task DmaByMessagesWhileTheClientWaits() => Task.Run(() =>
    {
        var memory = new FakeGuestMemory(0x200000, 0x1000);
        using var pair = new Pair(new VfioUserClientOptions { DmaTarget = memory });
        VfioUserClient c = pair.Client;
        c.DmaMap(0x200000, 0x1000, DmaMapFlags.Read | DmaMapFlags.Write);
        memory.Bytes.AsSpan(0, 16).Fill(0x33);
        WriteU64(c, 0, 8, 0x200000);
        WriteU64(c, 0, 0x10, 0x200800);
        // The doorbell write makes the server send DMA_READ then DMA_WRITE before replying.
        c.WriteRegionU32(0, 4, 1);
        Assert.True(memory.Bytes.AsSpan(0x800, 16).SequenceEqual(Enumerable.Repeat((byte)0x33, 16).ToArray()));
    });

    [Fact(Timeout = Timeout)]
    public Task IrqTriggerMaskAndPending() => Task.Run(() =>
    {
        using var pair = new Pair();
        VfioUserClient c = pair.Client;
        using EventFd intx = EventFd.Create();
        c.SetIrqEventFds(VfioIrqIndex.Intx, 0, [intx]);
        c.IrqAction(VfioIrqIndex.Intx, IrqSetFlags.ActionTrigger, 0, 1);
        Assert.Equal(1UL, intx.Wait(TimeSpan.FromSeconds(5)));
        c.IrqAction(VfioIrqIndex.Intx, IrqSetFlags.ActionMask, 0, 1);
        Assert.False(pair.Device.Host.Interrupt(0));
        Assert.Equal(0UL, intx.TryRead());
        c.IrqAction(VfioIrqIndex.Intx, IrqSetFlags.ActionUnmask, 0, 1);
        Assert.Equal(1UL, intx.Wait(TimeSpan.FromSeconds(5)));
        IrqInfo msix = c.GetIrqInfo((uint)VfioIrqIndex.Msix);
        Assert.Equal(4u, msix.Count);
        Assert.Equal(Errno.EINVAL, Assert.Throws<VfioUserException>(() => c.IrqAction(VfioIrqIndex.Msix, IrqSetFlags.ActionTrigger, 3, 2)).Errno);
        c.DisableIrqs(VfioIrqIndex.Intx);
        Assert.False(pair.Device.Host.TriggerIrq(VfioIrqIndex.Intx, 0));
    });

    [Fact(Timeout = Timeout)]
    public Task ResetAndNoReply() => Task.Run(() =>
    {
        using var pair = new Pair();
        VfioUserClient c = pair.Client;
        c.WriteRegionU32(0, 0, 7);
        c.Reset();
        Assert.Equal(1, pair.Device.Resets);
        Assert.Equal(0u, c.ReadRegionU32(0, 0));
        c.WriteRegion(0, 0, [9, 0, 0, 0], noReply: true);
        c.WriteRegion(0, 0, [10, 0, 0, 0], noReply: true);
        Assert.Equal(10u, c.ReadRegionU32(0, 0));
    });

    [Fact(Timeout = Timeout)]
    public Task MigrationRoundTrip() => Task.Run(() =>
    {
        byte[] state;
        using (var source = new Pair())
        {
            VfioUserClient c = source.Client;
            Assert.Equal(MigrationFlags.StopCopy | MigrationFlags.PreCopy, c.GetMigrationFlags());
            Assert.Equal(MigrationState.Running, c.GetMigrationState());
            c.WriteRegionU32(0, 0, 0x1234);
            c.SetMigrationState(MigrationState.StopCopy);
            Assert.Equal(MigrationState.StopCopy, c.GetMigrationState());
            var all = new List<byte>();
            for (byte[] chunk = c.ReadMigrationData(2); chunk.Length > 0; chunk = c.ReadMigrationData(2))
            {
                all.AddRange(chunk);
            }
            state = [.. all];
            Assert.Equal(Errno.EINVAL, Assert.Throws<VfioUserException>(() => c.SetMigrationState(MigrationState.PreCopy)).Errno);
        }
        using var target = new Pair();
        target.Client.SetMigrationState(MigrationState.Resuming);
        target.Client.WriteMigrationData(state);
        target.Client.SetMigrationState(MigrationState.Running);
        Assert.Equal(0x1234u, target.Client.ReadRegionU32(0, 0));
    });

    [Fact(Timeout = Timeout)]
    public Task LowPowerWithWakeupSignalsOnceAndRevokesMmap() => Task.Run(() =>
    {
        using var pair = new Pair();
        VfioUserClient c = pair.Client;
        pair.Client.GetRegionInfo(2, out SafeFd? barFd);
        using (barFd)
        {
            c.WriteRegionU32(2, 0, 0xabcd);
            Assert.True(c.ProbeFeature(DeviceFeatureId.LowPowerEntryWithWakeup, DeviceFeatureFlags.Set));
            Assert.False(c.ProbeFeature(DeviceFeatureId.LowPowerEntry, DeviceFeatureFlags.Get));
            using EventFd wake = EventFd.Create();
            c.LowPowerEntryWithWakeup(wake);
            Assert.True(pair.Server.IsLowPower);
            // The BAR file is cut to 0: any mmap of it faults (SIGBUS) rather than working.
            Assert.Equal(0, FileDescriptor.GetSize(barFd!));
            // Information queries do not wake; a region access does, once.
            c.GetDeviceInfo();
            Assert.Equal(0UL, wake.TryRead());
            Assert.Equal(0xabcdu, c.ReadRegionU32(2, 0));
            Assert.Equal(1UL, wake.Wait(TimeSpan.FromSeconds(5)));
            Assert.False(pair.Server.IsLowPower);
            Assert.Equal(0x2000, FileDescriptor.GetSize(barFd!));
            c.ReadRegionU32(0, 0);
            Assert.Equal(0UL, wake.TryRead());
            Assert.Equal([true, false], pair.Device.LowPowerChanges);
        }
    });

    [Fact(Timeout = Timeout)]
    public Task PlainLowPowerWakesPerAccessUntilExit() => Task.Run(() =>
    {
        using var pair = new Pair();
        VfioUserClient c = pair.Client;
        c.LowPowerEntry();
        Assert.Equal(Errno.EINVAL, Assert.Throws<VfioUserException>(() => c.LowPowerEntry()).Errno);
        c.ReadRegionU32(0, 0);
        Assert.True(pair.Server.IsLowPower);
        // Device-initiated wake without an eventfd changes nothing: the client opted out.
        pair.Device.Host.RequestWake();
        Assert.True(pair.Server.IsLowPower);
        Assert.False(pair.Server.WakeArmed);
        c.LowPowerExit();
        Assert.False(pair.Server.IsLowPower);
        Assert.Equal([true, false, true, false], pair.Device.LowPowerChanges);
        // An access while low is no exit: one entry, one exit, nothing signalled.
        Assert.Equal(new VfioUserPowerCounts(1, 0, 1, 0), pair.Server.PowerCounts);
    });

    [Fact(Timeout = Timeout)]
    public Task DeviceWakeSignalsTheWakeEventFd() => Task.Run(() =>
    {
        using var pair = new Pair();
        using EventFd wake = EventFd.Create();
        pair.Client.LowPowerEntryWithWakeup(wake);
        Assert.True(pair.Server.WakeArmed);
        pair.Device.Host.RequestWake();
        Assert.Equal(1UL, wake.Wait(TimeSpan.FromSeconds(5)));
        Assert.False(pair.Server.WakeArmed);
        pair.Device.Host.RequestWake();
        pair.Client.LowPowerExit();
        Assert.Equal(0UL, wake.TryRead());
        // The second wake and the late exit found the device awake: nothing counted twice.
        Assert.Equal(new VfioUserPowerCounts(0, 1, 1, 1), pair.Server.PowerCounts);
    });

    [Fact(Timeout = Timeout)]
    public Task AcpiNotificationsArriveInOrderWithOverflowMarker() => Task.Run(() =>
    {
        using var pair = new Pair(serverOptions: new VfioUserServerOptions { AcpiQueueCapacity = 4 });
        VfioUserClient c = pair.Client;
        Assert.Equal(new IrqInfo(16, IrqInfoFlags.EventFd, 5, 1), c.GetIrqInfo(5));
        // Queued before the eventfd exists: 4 fit, 3 are dropped.
        for (byte code = 0x80; code < 0x87; code++)
        {
            pair.Device.Host.NotifyAcpi(code);
        }
        using EventFd acpi = EventFd.Create();
        c.SetIrqEventFds(VfioIrqIndex.AcpiNotify, 0, [acpi]);
        var seen = new List<AcpiNotification>();
        for (int i = 0; i < 4; i++)
        {
            Assert.True(acpi.Wait(TimeSpan.FromSeconds(5)) is var v && AcpiNotification.TryDecode(v, out AcpiNotification n), "no notification");
            seen.Add(n);
        }
        Assert.Equal([0x80, 0x81, 0x82, 0x83], seen.Select(s => (int)s.Code));
        pair.Device.Host.NotifyAcpi(0x90);
        Assert.True(AcpiNotification.TryDecode(acpi.Wait(TimeSpan.FromSeconds(5)), out AcpiNotification marker));
        Assert.Equal(3, marker.Dropped);
        Assert.True(AcpiNotification.TryDecode(acpi.Wait(TimeSpan.FromSeconds(5)), out AcpiNotification last));
        Assert.Equal(0x90, last.Code);
    });

    [Fact(Timeout = Timeout)]
    public Task DisconnectDropsClientResourcesButKeepsState() => Task.Run(() =>
    {
        var device = new TestDevice();
        var server = new VfioUserServer(device);
        for (int round = 0; round < 2; round++)
        {
            (UnixSocket serverEnd, UnixSocket clientEnd) = UnixSocket.CreatePair();
            var thread = new Thread(() => server.Serve(serverEnd)) { IsBackground = true };
            thread.Start();
            using (VfioUserClient client = VfioUserClient.Open(clientEnd))
            {
                if (round == 0)
                {
                    using SafeFd guest = MemFd.Create("guest", 0x1000);
                    client.DmaMap(0x1000, 0x1000, DmaMapFlags.Read, guest);
                    client.WriteRegionU32(0, 0, 42);
                }
                else
                {
                    Assert.Equal(42u, client.ReadRegionU32(0, 0));
                    // The map of the first client is gone, so the same range maps again.
                    client.DmaMap(0x1000, 0x1000, DmaMapFlags.Read);
                }
            }
            Assert.True(thread.Join(TimeSpan.FromSeconds(5)));
        }
        device.Dispose();
    });

    [Fact(Timeout = Timeout)]
    public Task ServerOverAPathAcceptsTheNextClient() => Task.Run(() =>
    {
        string path = TestPaths.Socket();
        using var device = new TestDevice();
        var server = new VfioUserServer(device);
        using var stop = new CancellationTokenSource();
        using var listening = new ManualResetEventSlim();
        var thread = new Thread(() => server.Run(path, stop.Token, listening.Set)) { IsBackground = true };
        thread.Start();
        Assert.True(listening.Wait(TimeSpan.FromSeconds(5)));
        for (int i = 0; i < 2; i++)
        {
            using VfioUserClient client = VfioUserClient.Connect(path);
            Assert.Equal(9u, client.GetDeviceInfo().NumRegions);
        }
        stop.Cancel();
        Assert.True(thread.Join(TimeSpan.FromSeconds(5)));
        Assert.False(File.Exists(path));
    });

    private static void WriteU64(VfioUserClient client, uint region, ulong offset, ulong value)
    {
        byte[] data = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(data, value);
        client.WriteRegion(region, offset, data);
    }

    private sealed class FakeGuestMemory(ulong baseAddress, int size) : IVfioUserDmaTarget
    {
        public byte[] Bytes { get; } = new byte[size];

        public void Read(ulong address, Span<byte> destination) => Bytes.AsSpan((int)(address - baseAddress), destination.Length).CopyTo(destination);

        public void Write(ulong address, ReadOnlySpan<byte> source) => source.CopyTo(Bytes.AsSpan((int)(address - baseAddress)));
    }
}
