using System.Buffers.Binary;
using System.Diagnostics;
using Vireo.Kvm;
using Vireo.Memory;
using Vireo.Pci;
using Vireo.SampleDevice;
using Vireo.Sys;
using Vireo.VfioUser;
using Vireo.Vmm.Tests.Interrupts;

namespace Vireo.Vmm.Tests;

/// <summary>The vfio-user proxy against the real sample accelerator served in-process (and a
/// hand-rolled server for what no honest server says), with a fake KVM for the interrupt
/// plumbing and shared guest RAM the server reaches through its DMA mappings.</summary>
public sealed class VfioUserPciFunctionTests : IDisposable
{
    private const int Timeout = 30_000;
    private const uint IntxGsi = 10;
    private const ulong RamSize = 0x10_0000;
    private const ulong MsixTable = 0x10000;
    private const ulong MsixPba = 0x18000;
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(300);

    private readonly FakeKvmInterrupts _kvm = new();
    private readonly DeviceInterrupts _interrupts;
    private readonly GuestMemory _memory = GuestMemory.Create(GuestMemoryBacking.Shared, (new GuestAddress(0), RamSize));
    private readonly List<string> _lost = [];
    private readonly List<(ulong Address, int Size, ulong? DataMatch, EventFd Fd)> _ioEventFds = [];
    private readonly PciFunctionHost _host;

    public VfioUserPciFunctionTests()
    {
        _interrupts = new DeviceInterrupts(_kvm);
        _host = new PciFunctionHost
        {
            Interrupts = _interrupts,
            Memory = _memory,
            Slot = 3,
            IntxGsi = IntxGsi,
            AddIoEventFd = AddIoEventFd,
            DeviceLost = reason =>
            {
                lock (_lost)
                {
                    _lost.Add(reason);
                }
            },
        };
    }

    public void Dispose()
    {
        _interrupts.Dispose();
        _memory.Dispose();
    }

    [Fact(Timeout = Timeout)]
    public Task BarsIdentityAndBackendAreTheSampleDevices() => Task.Run(() =>
    {
        using var server = new SampleAcceleratorServer();
        using VfioPciFunction fn = Open(server);

        Assert.Equal("sample", fn.Id);
        Assert.Equal("vfio-user", fn.Backend);
        Assert.True(fn.NeedsSharedMemory);
        Assert.True(fn.IsAlive);
        Assert.Equal(PciConfigSpace.StandardSize, fn.ConfigSize);
        Assert.Collection(
            fn.Bars,
            bar0 =>
            {
                Assert.Equal((0, 0x1000UL, PciBarKind.Memory32, false), (bar0.Index, bar0.Size, bar0.Kind, bar0.Prefetchable));
                Assert.Empty(bar0.MmapAreas);
            },
            bar2 =>
            {
                Assert.Equal((2, 0x20000UL, PciBarKind.Memory32, false), (bar2.Index, bar2.Size, bar2.Kind, bar2.Prefetchable));
                Assert.Equal([new PciMmapArea(0, AcceleratorDevice.BufferSize)], bar2.MmapAreas);
            });
        Assert.Equal(0x10f1_1af4u, ReadConfig32(fn, 0));
        Assert.Equal((AcceleratorDevice.VendorId, AcceleratorDevice.DeviceId), (fn.VendorId, fn.DeviceId));
        Assert.Equal(0x1200_0001u, ReadConfig32(fn, 8));
        Assert.Equal(0x10f1_1af4u, ReadConfig32(fn, 0x2c));
        Assert.Equal(1, ReadConfig8(fn, PciConfigSpace.InterruptPinOffset));
        Assert.NotEqual(0, PciCapabilities.Find(fn, PciConfigSpace.MsixCapabilityId));
        // The sample device has its own PM capability: the VMM adds none.
        Assert.NotEqual(0, PciCapabilities.Find(fn, PciConfigSpace.PowerManagementCapabilityId));
        Assert.Equal(0, fn.VirtualPowerManagementOffset);
        Assert.Empty(fn.Warnings);
        Assert.Equal("intx", fn.InterruptMode);
    });

    [Fact(Timeout = Timeout)]
    public Task Bar0RegistersRoundTripThroughTheServer() => Task.Run(() =>
    {
        using var server = new SampleAcceleratorServer();
        using VfioPciFunction fn = Open(server);
        fn.Bind(_host);

        Assert.Equal(AcceleratorDevice.Id, ReadBar32(fn, 0, AcceleratorDevice.RegId));
        WriteBar32(fn, 0, AcceleratorDevice.RegScratch, 0x1234_5678);
        Assert.Equal(0x1234_5678u, ReadBar32(fn, 0, AcceleratorDevice.RegScratch));
        // 8-byte accesses too.
        Span<byte> wide = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(wide, 0x0123_4567_89ab_cdef);
        fn.WriteBar(0, AcceleratorDevice.RegSource, wide);
        wide.Clear();
        fn.ReadBar(0, AcceleratorDevice.RegSource, wide);
        Assert.Equal(0x0123_4567_89ab_cdefUL, BinaryPrimitives.ReadUInt64LittleEndian(wide));
        // BAR2's buffer traps to the server too when the VMM has not mapped it.
        WriteBar32(fn, 2, 0x40, 0xfeed_f00d);
        Assert.Equal(0xfeed_f00du, ReadBar32(fn, 2, 0x40));
    });

    [Fact(Timeout = Timeout)]
    public Task CommandRegisterIsShadowedAndForwarded() => Task.Run(() =>
    {
        using var server = new SampleAcceleratorServer();
        using VfioPciFunction fn = Open(server);

        WriteConfig16(fn, PciConfigSpace.CommandOffset, 0x0406);
        Assert.Equal(0x0406, ReadConfig16(fn, PciConfigSpace.CommandOffset));
        Assert.Equal(0x0406u, fn.Device.ReadRegionU32(VfioRegionIndex.Config, PciConfigSpace.CommandOffset) & 0xffff);
        Assert.Equal("none", fn.InterruptMode);
        // Only the bits a function implements stick.
        WriteConfig16(fn, PciConfigSpace.CommandOffset, 0xffff);
        Assert.Equal(PciConfigSpace.CommandWritable, ReadConfig16(fn, PciConfigSpace.CommandOffset));

        // The server's own reset (at Bind) does not change what the guest reads.
        fn.Bind(_host);
        Assert.Equal(PciConfigSpace.CommandWritable, ReadConfig16(fn, PciConfigSpace.CommandOffset));
        Assert.Equal((uint)PciConfigSpace.CommandWritable, fn.Device.ReadRegionU32(VfioRegionIndex.Config, PciConfigSpace.CommandOffset) & 0xffff);
    });

    [Fact(Timeout = Timeout)]
    public Task DmaMovesBytesInGuestMemoryThroughTheSharedMapping() => Task.Run(() =>
    {
        using var server = new SampleAcceleratorServer();
        using VfioPciFunction fn = Open(server);
        fn.Bind(_host);
        byte[] pattern = Pattern(0x3000, 5);
        _memory.Write(new GuestAddress(0x1000), pattern);

        StartCopy(fn, 0x1000, 0x8000, 0x3000);

        Assert.True(server.Device.WaitIdle(Long));
        Assert.Equal(AcceleratorDevice.StatusDone, ReadBar32(fn, 0, AcceleratorDevice.RegStatus));
        byte[] copied = new byte[0x3000];
        _memory.Read(new GuestAddress(0x8000), copied);
        Assert.Equal(pattern, copied);
    });

    [Fact(Timeout = Timeout)]
    public Task ServerIoEventFdFollowsItsBarAndRingsTheDoorbell() => Task.Run(() =>
    {
        using var server = new SampleAcceleratorServer();
        using VfioPciFunction fn = Open(server);
        fn.Bind(_host);
        Assert.Empty(_ioEventFds);

        fn.MemoryBarPlaced(0, new MmioAddress(0xe000_0000));
        (ulong address, int size, ulong? match, EventFd doorbell) = Assert.Single(_ioEventFds);
        Assert.Equal((0xe000_0000UL + AcceleratorDevice.RegDoorbell, 4, (ulong?)null), (address, size, match));

        fn.MemoryBarPlaced(0, new MmioAddress(0xe010_0000));
        Assert.Equal(0xe010_0000UL + AcceleratorDevice.RegDoorbell, Assert.Single(_ioEventFds).Address);
        fn.MemoryBarPlaced(0, null);
        Assert.Empty(_ioEventFds);
        fn.MemoryBarPlaced(0, new MmioAddress(0xe000_0000));

        // KVM would signal the eventfd for the guest's doorbell write; the server sees the write.
        byte[] pattern = Pattern(0x100, 9);
        _memory.Write(new GuestAddress(0x2000), pattern);
        Program(fn, 0x2000, 0x9000, 0x100);
        Assert.Single(_ioEventFds).Fd.Signal();
        Assert.True(WaitUntil(() => ReadBar32(fn, 0, AcceleratorDevice.RegCompleted) == 1), "the doorbell's ioeventfd never started the DMA");
        byte[] copied = new byte[0x100];
        _memory.Read(new GuestAddress(0x9000), copied);
        Assert.Equal(pattern, copied);
    });

    [Fact(Timeout = Timeout)]
    public Task MsixTableProgramsTheRouterAndACompletionSignalsTheIrqfd() => Task.Run(() =>
    {
        using var server = new SampleAcceleratorServer();
        using VfioPciFunction fn = Open(server);
        fn.Bind(_host);
        int msix = PciCapabilities.Find(fn, PciConfigSpace.MsixCapabilityId);
        Assert.Equal(1, ReadConfig16(fn, msix + 2) & 0x7ff); // two vectors

        WriteEntry(fn, 0, 0xfee0_0000, 0x41, masked: false);
        WriteConfig16(fn, msix + 2, 0x8000);

        Assert.Equal("msix", fn.InterruptMode);
        Assert.Equal(0x8001, ReadConfig16(fn, msix + 2));
        Assert.Equal([.. KvmDefaultIrqRouting.Entries, KvmIrqRoutingEntry.ForMsi(24, 0xfee0_0000, 0x41)], _kvm.LastTable);
        (EventFd vector0, _) = _kvm.IrqfdOnGsi(24)!.Value;
        // The table is the VMM's: it reads back what the guest wrote, and the server never saw it.
        Assert.Equal(0xfee0_0000u, ReadBar32(fn, 2, MsixTable));
        Assert.Equal(0x41u, ReadBar32(fn, 2, MsixTable + 8));

        StartCopy(fn, 0x1000, 0x2000, 0x10);

        Assert.Equal(1UL, vector0.Wait(Long));
        (EventFd intx, _) = _kvm.IrqfdOnGsi(IntxGsi)!.Value;
        Assert.Equal(0UL, intx.Wait(Quiet)); // INTx is off while MSI-X is on

        // Masked, a completion becomes the VMM's pending bit, delivered on unmask.
        WriteBar32(fn, 0, AcceleratorDevice.RegInterruptAck, AcceleratorDevice.InterruptDone);
        WriteEntry(fn, 0, 0xfee0_0000, 0x41, masked: true);
        StartCopy(fn, 0x1000, 0x2000, 0x10);
        Assert.True(server.Device.WaitIdle(Long));
        Assert.True(WaitUntil(() => ReadBar32(fn, 2, MsixPba) == 1), "the masked vector's completion never became pending");
        WriteEntry(fn, 0, 0xfee0_0000, 0x41, masked: false);
        Assert.Equal(0u, ReadBar32(fn, 2, MsixPba));
        Assert.Equal(1UL, vector0.Wait(Long));
    });

    [Fact(Timeout = Timeout)]
    public Task IntxFiresMasksAtTheDeviceAndRearmsOnlyAfterResample() => Task.Run(() =>
    {
        using var server = new SampleAcceleratorServer();
        using VfioPciFunction fn = Open(server);
        fn.Bind(_host);
        (EventFd trigger, EventFd? resample) = _kvm.IrqfdOnGsi(IntxGsi)!.Value;
        Assert.NotNull(resample);
        Assert.Equal("intx", fn.InterruptMode);

        StartCopy(fn, 0x1000, 0x2000, 0x10);

        Assert.Equal(1UL, trigger.Wait(Long));
        // The line stays high (not acknowledged) but the device masked it: nothing until the EOI.
        Assert.Equal(0UL, trigger.Wait(Quiet));
        resample!.Signal();
        Assert.Equal(1UL, trigger.Wait(Long));
        // Acknowledged: the line drops, and the next EOI brings nothing.
        WriteBar32(fn, 0, AcceleratorDevice.RegInterruptAck, AcceleratorDevice.InterruptDone);
        resample.Signal();
        Assert.Equal(0UL, trigger.Wait(Quiet));

        // Interrupt Disable holds INTx back at the device.
        WriteConfig16(fn, PciConfigSpace.CommandOffset, PciConfigSpace.CommandIntxDisable | 0x6);
        Assert.Equal("none", fn.InterruptMode);
        StartCopy(fn, 0x1000, 0x2000, 0x10);
        Assert.True(server.Device.WaitIdle(Long));
        Assert.Equal(0UL, trigger.Wait(Quiet));
        WriteConfig16(fn, PciConfigSpace.CommandOffset, 0x6);
        Assert.Equal(1UL, trigger.Wait(Long));
    });

    [Fact(Timeout = Timeout)]
    public Task AKilledServerReadsAllOnesAndIsReportedLostOnce() => Task.Run(() =>
    {
        using var server = new SampleAcceleratorServer();
        using VfioPciFunction fn = Open(server);
        fn.Bind(_host);
        Assert.Equal(AcceleratorDevice.Id, ReadBar32(fn, 0, AcceleratorDevice.RegId));

        server.Kill();

        Assert.Equal(uint.MaxValue, ReadBar32(fn, 0, AcceleratorDevice.RegId));
        Assert.Equal(uint.MaxValue, ReadBar32(fn, 0, AcceleratorDevice.RegScratch));
        WriteBar32(fn, 0, AcceleratorDevice.RegScratch, 1);
        Assert.Equal(uint.MaxValue, ReadConfig32(fn, 0));
        WriteConfig16(fn, PciConfigSpace.CommandOffset, 0);
        fn.MemoryBarPlaced(0, new MmioAddress(0xe000_0000));
        Assert.False(fn.IsAlive);
        // Whichever thread saw the loss first (the client's reader, or an access) marks the
        // function dead before it reports: wait for the report, then make sure it came once.
        Assert.True(SpinWait.SpinUntil(() => Lost().Count > 0, Long), "the loss was never reported");
        Thread.Sleep(100);
        string reason = Assert.Single(Lost());
        Assert.Contains("'sample'", reason, StringComparison.Ordinal);
        // Unbinding a dead device is quiet, and it cannot be bound again.
        fn.Unbind();
        Assert.Throws<MachineBuildException>(() => fn.Bind(_host));
    });

    [Fact(Timeout = Timeout)]
    public Task AServerThatDiesIsReportedLostWithoutWaitingForAGuestAccess() => Task.Run(() =>
    {
        using var server = new SampleAcceleratorServer();
        using VfioPciFunction fn = Open(server);
        fn.Bind(_host);

        server.Kill();

        Assert.True(SpinWait.SpinUntil(() => Lost().Count > 0, Long), "the loss was not reported until an access");
        Assert.False(fn.IsAlive);
        Assert.Contains("closed the connection", Assert.Single(Lost()), StringComparison.Ordinal);
        // The guest's next access is answered from the loss, not reported again.
        Assert.Equal(uint.MaxValue, ReadBar32(fn, 0, AcceleratorDevice.RegId));
        Assert.Single(Lost());
    });

    [Fact(Timeout = Timeout)]
    public Task ClosingTheFunctionIsNotALoss() => Task.Run(() =>
    {
        using var server = new SampleAcceleratorServer();
        VfioPciFunction fn = Open(server);
        fn.Bind(_host);

        fn.Dispose();
        server.Kill();

        Thread.Sleep(Quiet);
        Assert.Empty(Lost());
    });

    [Fact(Timeout = Timeout)]
    public Task AStalledServerCostsOneTimeoutThenReadsAllOnes() => Task.Run(() =>
    {
        using FakeVfioUserServer server = new FakeVfioUserServer { StallBarReads = true }.Start();
        using VfioPciFunction fn = VfioPciFunction.Open(VfioUserClient.Open(server.ClientEnd, new VfioUserClientOptions { ReplyTimeout = TimeSpan.FromSeconds(1) }), "stuck");
        fn.Bind(_host);

        var watch = Stopwatch.StartNew();
        Assert.Equal(uint.MaxValue, ReadBar32(fn, 0, 0));
        Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(900), TimeSpan.FromSeconds(5));
        watch.Restart();
        Assert.Equal(uint.MaxValue, ReadBar32(fn, 0, 4));
        Assert.True(watch.Elapsed < TimeSpan.FromMilliseconds(500), "a lost device still waited for the server");
        Assert.Contains("did not answer in time", Assert.Single(Lost()), StringComparison.Ordinal);
    });

    [Fact(Timeout = Timeout)]
    public Task UnbindReleasesTheMachineAndBindGivesARebootedGuestAFreshDevice() => Task.Run(() =>
    {
        using var server = new SampleAcceleratorServer();
        using VfioPciFunction fn = Open(server);
        fn.Bind(_host);
        int msix = PciCapabilities.Find(fn, PciConfigSpace.MsixCapabilityId);
        WriteEntry(fn, 0, 0xfee0_0000, 0x41, masked: false);
        WriteConfig16(fn, msix + 2, 0x8000);
        WriteConfig16(fn, PciConfigSpace.CommandOffset, 0x6);
        WriteBar32(fn, 0, AcceleratorDevice.RegScratch, 77);
        fn.MemoryBarPlaced(0, new MmioAddress(0xe000_0000));
        Assert.Equal(2, _kvm.IrqfdCount); // vector 0 and INTx

        fn.Unbind();

        Assert.Equal(0, _kvm.IrqfdCount);
        Assert.Empty(_ioEventFds);
        Assert.Equal(0, _interrupts.WatchedEventFds);
        Assert.Equal(0, ReadConfig16(fn, PciConfigSpace.CommandOffset));
        Assert.Equal(0x0001, ReadConfig16(fn, msix + 2));
        fn.Unbind(); // twice is harmless

        fn.Bind(_host);

        Assert.Equal(0u, ReadBar32(fn, 0, AcceleratorDevice.RegScratch));
        Assert.Equal("intx", fn.InterruptMode);
        Assert.Equal(1u, ReadBar32(fn, 2, MsixTable + 12)); // masked, as after reset
        byte[] pattern = Pattern(0x200, 3);
        _memory.Write(new GuestAddress(0x4000), pattern);
        StartCopy(fn, 0x4000, 0x6000, 0x200);
        Assert.Equal(1UL, _kvm.IrqfdOnGsi(IntxGsi)!.Value.Trigger.Wait(Long));
        byte[] copied = new byte[0x200];
        _memory.Read(new GuestAddress(0x6000), copied);
        Assert.Equal(pattern, copied);
        Assert.Empty(Lost());
    });

    [Fact(Timeout = Timeout)]
    public Task MapAreaMapsTheServersBufferShared() => Task.Run(() =>
    {
        using var server = new SampleAcceleratorServer();
        using VfioPciFunction fn = Open(server);
        PciBarDescriptor bar2 = fn.Bars[1];

        using MappedMemory area = fn.MapArea(2, bar2.MmapAreas[0]);

        Assert.Equal((ulong)AcceleratorDevice.BufferSize, area.Length);
        WriteBar32(fn, 2, 0x80, 0xabad_cafe);
        Assert.Equal(0xabad_cafeu, (uint)System.Runtime.InteropServices.Marshal.ReadInt32(area.DangerousGetAddress() + 0x80));
        Assert.Throws<MachineBuildException>(() => fn.MapArea(0, new PciMmapArea(0, 0x1000)));
    });

    public static TheoryData<string> HostileServers => ["bar-size", "bar-huge", "mmap-no-fd", "bar5-64bit", "cap-loop", "msix-outside-bar", "oversized-reply", "not-pci", "config-size", "silent", "mmap-short-file"];

    [Theory(Timeout = Timeout)]
    [MemberData(nameof(HostileServers))]
    public Task HostileServerAnswersAreAClearErrorAtConnect(string fault) => Task.Run(() =>
    {
        using var server = new FakeVfioUserServer();
        string expected = Break(server, fault);
        server.Start();
        var watch = Stopwatch.StartNew();

        var e = Assert.Throws<MachineBuildException>(() => VfioPciFunction.Open(
            VfioUserClient.Open(server.ClientEnd, new VfioUserClientOptions { ReplyTimeout = TimeSpan.FromSeconds(1) }), "evil"));

        Assert.Contains("'evil'", e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
    });

    [Fact(Timeout = Timeout)]
    public Task SparseAreasAroundTheMsixTableStayTrapped() => Task.Run(() =>
    {
        using var server = new FakeVfioUserServer();
        SafeFd file = MemFd.Create("bar", 0x4000);
        server.Regions[0] = new FakeRegion(0x4000, RegionInfoFlags.Read | RegionInfoFlags.Write | RegionInfoFlags.Mmap, Fd: file);
        AddMsix(server, vectors: 4, tableBar: 0, tableOffset: 0x1000, pbaBar: 0, pbaOffset: 0x1800);
        server.Start();

        using VfioPciFunction fn = VfioPciFunction.Open(VfioUserClient.Open(server.ClientEnd), "sparse");

        // The whole-BAR mmap offer loses the page holding the table and PBA.
        Assert.Equal([new PciMmapArea(0, 0x1000), new PciMmapArea(0x2000, 0x2000)], Assert.Single(fn.Bars).MmapAreas);
    });

    [Fact(Timeout = Timeout)]
    public Task MsiIsShadowedRoutedAndMaskedByTheVmm() => Task.Run(() =>
    {
        using var server = new FakeVfioUserServer();
        // PCI 3.0 §6.8.1: MSI at 0x50, 4 messages capable, 64-bit, per-vector masking.
        server.Config[PciConfigSpace.StatusOffset] = 0x10;
        server.Config[PciConfigSpace.CapabilityPointerOffset] = 0x50;
        server.Config[0x50] = PciConfigSpace.MsiCapabilityId;
        BinaryPrimitives.WriteUInt16LittleEndian(server.Config.AsSpan(0x52), (2 << 1) | 0x0080 | 0x0100);
        server.IrqCounts[(uint)VfioIrqIndex.Msi] = 4;
        server.Start();
        using VfioPciFunction fn = VfioPciFunction.Open(VfioUserClient.Open(server.ClientEnd), "msi");
        fn.Bind(_host);

        WriteConfig32(fn, 0x54, 0xfee0_1000);
        WriteConfig32(fn, 0x58, 0);
        WriteConfig16(fn, 0x5c, 0x60);
        WriteConfig16(fn, 0x52, 0x0001 | (2 << 4)); // enable, 4 messages

        Assert.Equal("msi", fn.InterruptMode);
        Assert.Equal(0x0001 | (2 << 1) | (2 << 4) | 0x0080 | 0x0100, ReadConfig16(fn, 0x52));
        Assert.Equal(0xfee0_1000u, ReadConfig32(fn, 0x54));
        Assert.Equal(
            [.. KvmDefaultIrqRouting.Entries, .. Enumerable.Range(0, 4).Select(v => KvmIrqRoutingEntry.ForMsi((uint)(24 + v), 0xfee0_1000, (uint)(0x60 + v)))],
            _kvm.LastTable);
        (EventFd message2, _) = _kvm.IrqfdOnGsi(26)!.Value;

        // Masking is the VMM's: the guest reads its mask and the pending bit, the server sees 0.
        WriteConfig32(fn, 0x60, 0b0100);
        Assert.Equal(0b0100u, ReadConfig32(fn, 0x60));
        Assert.Null(_kvm.IrqfdOf(message2));
        message2.Signal();
        Assert.True(WaitUntil(() => ReadConfig32(fn, 0x64) == 0b0100), "the masked message never became pending");
        WriteConfig32(fn, 0x60, 0);
        Assert.Equal(0u, ReadConfig32(fn, 0x64));
        Assert.Equal(1UL, message2.TryRead()); // delivered through the irqfd on unmask
        lock (server.ConfigWrites)
        {
            Assert.Contains(server.ConfigWrites, w => w.Offset == 0x60 && w.Data.SequenceEqual(new byte[4]));
            Assert.DoesNotContain(server.ConfigWrites, w => w.Offset == 0x60 && !w.Data.SequenceEqual(new byte[4]));
            Assert.Contains(server.ConfigWrites, w => w.Offset == 0x52 && w.Data.SequenceEqual(new byte[] { 0xa5, 0x01 }));
        }
    });

    // Kernel vfio-pci holds one IRQ type at a time (vfio_msi_enable answers EINVAL unless none is
    // set), so INTx goes off at the device before MSI goes on, and back on only after MSI is off.
    // Found in the nested lab, where vireo lost an assigned edu when its guest enabled MSI.
    [Fact(Timeout = Timeout)]
    public Task IntxIsOffAtTheDeviceBeforeMsiGoesOnAndBackOnOnlyAfterMsiIsOff() => Task.Run(() =>
    {
        using var server = new FakeVfioUserServer();
        server.Config[PciConfigSpace.StatusOffset] = 0x10;
        server.Config[PciConfigSpace.CapabilityPointerOffset] = 0x50;
        server.Config[0x50] = PciConfigSpace.MsiCapabilityId;
        BinaryPrimitives.WriteUInt16LittleEndian(server.Config.AsSpan(0x52), 0x0080); // 1 message, 64-bit
        server.IrqCounts[(uint)VfioIrqIndex.Msi] = 1;
        var sets = new List<(VfioIrqIndex Index, bool On)>();
        server.Override = (message, _) =>
        {
            if (message.Header.Command == VfioUserCommand.DeviceSetIrqs)
            {
                IrqSet set = IrqSet.Decode(message.Payload);
                if ((set.Flags & IrqSetFlags.ActionTrigger) != 0)
                {
                    lock (sets)
                    {
                        sets.Add(((VfioIrqIndex)set.Index, set.Count > 0));
                    }
                }
            }
            return false;
        };
        server.Start();
        using VfioPciFunction fn = VfioPciFunction.Open(VfioUserClient.Open(server.ClientEnd), "msi");
        fn.Bind(_host);

        WriteConfig32(fn, 0x54, 0xfee0_1000);
        WriteConfig16(fn, 0x5c, 0x60);
        WriteConfig16(fn, 0x52, 0x0001); // MSI on
        WriteConfig16(fn, 0x52, 0x0000); // and off

        lock (sets)
        {
            Assert.Equal(
                [(VfioIrqIndex.Intx, true), (VfioIrqIndex.Intx, false), (VfioIrqIndex.Msi, true), (VfioIrqIndex.Msi, false), (VfioIrqIndex.Intx, true)],
                sets);
        }
    });

    [Fact(Timeout = Timeout)]
    public Task ConnectToAMissingSocketNamesTheDevice()
    {
        var e = Assert.Throws<MachineBuildException>(() => VfioPciFunction.ConnectVfioUser("/nonexistent/vfio-user.sock", "gone"));
        Assert.Contains("'gone'", e.Message, StringComparison.Ordinal);
        return Task.CompletedTask;
    }

    private static string Break(FakeVfioUserServer server, string fault)
    {
        switch (fault)
        {
            case "bar-size":
                server.Regions[0] = new FakeRegion(0x1800);
                return "not a power of two";
            case "bar-huge":
                BinaryPrimitives.WriteUInt32LittleEndian(server.Config.AsSpan(0x10), 0xc); // 64-bit prefetchable
                server.Regions[0] = new FakeRegion(1UL << 50);
                return "outside";
            case "mmap-no-fd":
                server.Regions[0] = new FakeRegion(0x1000, RegionInfoFlags.Read | RegionInfoFlags.Write | RegionInfoFlags.Mmap);
                return "no file descriptor";
            case "bar5-64bit":
                BinaryPrimitives.WriteUInt32LittleEndian(server.Config.AsSpan(0x10 + 20), 0x4);
                server.Regions[5] = new FakeRegion(0x1000);
                return "BAR5 is 64-bit";
            case "cap-loop":
                server.Config[PciConfigSpace.StatusOffset] = 0x10;
                server.Config[PciConfigSpace.CapabilityPointerOffset] = 0x40;
                server.Config[0x40] = 0x01;
                server.Config[0x41] = 0x48;
                server.Config[0x48] = 0x09;
                server.Config[0x49] = 0x40;
                return "loops";
            case "msix-outside-bar":
                AddMsix(server, vectors: 8, tableBar: 0, tableOffset: 0xff0, pbaBar: 0, pbaOffset: 0x800);
                return "outside the BAR";
            case "oversized-reply":
                server.Override = (message, channel) =>
                {
                    if (message.Header.Command != VfioUserCommand.DeviceGetRegionInfo)
                    {
                        return false;
                    }
                    byte[] header = new byte[MessageHeader.Size];
                    new MessageHeader(message.Header.MessageId, message.Header.Command, 0x7fff_0000, MessageFlags.Reply, 0).Write(header);
                    channel.SendRaw(header);
                    return true;
                };
                return "exceeds the limit";
            case "not-pci":
                server.Override = (message, channel) =>
                {
                    if (message.Header.Command != VfioUserCommand.DeviceGetInfo)
                    {
                        return false;
                    }
                    channel.Send(new MessageHeader(message.Header.MessageId, message.Header.Command, 0, MessageFlags.Reply, 0), new DeviceInfo(DeviceInfo.Length, DeviceInfoFlags.Reset, 9, 5));
                    return true;
                };
                return "not a PCI device";
            case "config-size":
                server.Regions[VfioRegionIndex.Config] = new FakeRegion(0x300);
                return "not 256 or 4096";
            case "mmap-short-file":
                server.Regions[0] = new FakeRegion(0x2000, RegionInfoFlags.Read | RegionInfoFlags.Write | RegionInfoFlags.Mmap, Fd: MemFd.Create("short", 0x1000));
                return "past the end";
            case "silent":
                server.Override = (message, _) => message.Header.Command == VfioUserCommand.DeviceGetIrqInfo;
                return "no reply";
            default:
                throw new ArgumentException(fault, nameof(fault));
        }
    }

    private static void AddMsix(FakeVfioUserServer server, int vectors, int tableBar, uint tableOffset, int pbaBar, uint pbaOffset)
    {
        server.Config[PciConfigSpace.StatusOffset] = 0x10;
        server.Config[PciConfigSpace.CapabilityPointerOffset] = 0x40;
        server.Config[0x40] = PciConfigSpace.MsixCapabilityId;
        BinaryPrimitives.WriteUInt16LittleEndian(server.Config.AsSpan(0x42), (ushort)(vectors - 1));
        BinaryPrimitives.WriteUInt32LittleEndian(server.Config.AsSpan(0x44), tableOffset | (uint)tableBar);
        BinaryPrimitives.WriteUInt32LittleEndian(server.Config.AsSpan(0x48), pbaOffset | (uint)pbaBar);
        server.IrqCounts[(uint)VfioIrqIndex.Msix] = (uint)vectors;
    }

    private static VfioPciFunction Open(SampleAcceleratorServer server)
        => VfioPciFunction.Open(VfioUserClient.Open(server.ClientEnd, new VfioUserClientOptions { ReplyTimeout = TimeSpan.FromSeconds(5) }), "sample");

    private IDisposable AddIoEventFd(ulong address, int size, ulong? dataMatch, EventFd fd)
    {
        var entry = (address, size, dataMatch, fd);
        lock (_ioEventFds)
        {
            _ioEventFds.Add(entry);
        }
        return new Registration(() =>
        {
            lock (_ioEventFds)
            {
                _ioEventFds.Remove(entry);
            }
        });
    }

    private List<string> Lost()
    {
        lock (_lost)
        {
            return [.. _lost];
        }
    }

    private static void Program(VfioPciFunction fn, ulong source, ulong destination, uint length)
    {
        WriteBar32(fn, 0, AcceleratorDevice.RegSource, (uint)source);
        WriteBar32(fn, 0, AcceleratorDevice.RegSource + 4, (uint)(source >> 32));
        WriteBar32(fn, 0, AcceleratorDevice.RegDestination, (uint)destination);
        WriteBar32(fn, 0, AcceleratorDevice.RegDestination + 4, (uint)(destination >> 32));
        WriteBar32(fn, 0, AcceleratorDevice.RegLength, length);
        WriteBar32(fn, 0, AcceleratorDevice.RegCommand, AcceleratorDevice.DirectionMemoryToMemory);
    }

    private static void StartCopy(VfioPciFunction fn, ulong source, ulong destination, uint length)
    {
        Program(fn, source, destination, length);
        WriteBar32(fn, 0, AcceleratorDevice.RegDoorbell, 1);
    }

    private static void WriteEntry(VfioPciFunction fn, int vector, ulong address, uint data, bool masked)
    {
        ulong entry = MsixTable + ((ulong)vector * 16);
        WriteBar32(fn, 2, entry, (uint)address);
        WriteBar32(fn, 2, entry + 4, (uint)(address >> 32));
        WriteBar32(fn, 2, entry + 8, data);
        WriteBar32(fn, 2, entry + 12, masked ? 1u : 0u);
    }

    private static uint ReadBar32(VfioPciFunction fn, int bar, ulong offset)
    {
        Span<byte> data = stackalloc byte[4];
        fn.ReadBar(bar, offset, data);
        return BinaryPrimitives.ReadUInt32LittleEndian(data);
    }

    private static void WriteBar32(VfioPciFunction fn, int bar, ulong offset, uint value)
    {
        Span<byte> data = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(data, value);
        fn.WriteBar(bar, offset, data);
    }

    private static byte ReadConfig8(VfioPciFunction fn, int offset)
    {
        Span<byte> data = stackalloc byte[1];
        fn.ReadConfig(offset, data);
        return data[0];
    }

    private static ushort ReadConfig16(VfioPciFunction fn, int offset)
    {
        Span<byte> data = stackalloc byte[2];
        fn.ReadConfig(offset, data);
        return BinaryPrimitives.ReadUInt16LittleEndian(data);
    }

    private static uint ReadConfig32(VfioPciFunction fn, int offset)
    {
        Span<byte> data = stackalloc byte[4];
        fn.ReadConfig(offset, data);
        return BinaryPrimitives.ReadUInt32LittleEndian(data);
    }

    private static void WriteConfig32(VfioPciFunction fn, int offset, uint value)
    {
        Span<byte> data = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(data, value);
        fn.WriteConfig(offset, data);
    }

    private static void WriteConfig16(VfioPciFunction fn, int offset, ushort value)
    {
        Span<byte> data = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(data, value);
        fn.WriteConfig(offset, data);
    }

    private static byte[] Pattern(int length, int seed)
    {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)((i * seed) + (i >> 8));
        }
        return bytes;
    }

    private static bool WaitUntil(Func<bool> condition)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < Long)
        {
            if (condition())
            {
                return true;
            }
            Thread.Sleep(5);
        }
        return condition();
    }

    private sealed class Registration(Action remove) : IDisposable
    {
        public void Dispose() => remove();
    }
}
