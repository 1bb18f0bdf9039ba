using Vireo.Memory;

namespace Vireo.Virtio.Tests;

public sealed class VirtioPciFunctionTests
{
    private const ulong Version1 = VirtioFeatures.Version1;

    private static byte[] ConfigBytes(VirtioPciFunction function)
    {
        byte[] bytes = new byte[256];
        for (int i = 0; i < bytes.Length; i += 4)
        {
            function.ReadConfig(i, bytes.AsSpan(i, 4));
        }
        return bytes;
    }

    [Fact]
    public void Config_space_header_and_capability_chain_are_byte_exact()
    {
        using GuestMemory memory = DriverRing.NewMemory();
        var function = new VirtioPciFunction("rng", new VirtioRng(), memory, new RecordingInterrupt());

        byte[] config = ConfigBytes(function);

        // Vendor 0x1af4, device 0x1044 (0x1040 + entropy), status with the capability list bit,
        // revision 1, class 0x00ff00, subsystem 0x1af4:0x1100, capabilities at 0x40.
        Assert.Equal(new byte[] { 0xf4, 0x1a, 0x44, 0x10 }, config[0x00..0x04]);
        Assert.Equal(0x10, config[0x06] & 0x10);
        Assert.Equal(new byte[] { 0x01, 0x00, 0xff, 0x00 }, config[0x08..0x0c]);
        Assert.Equal(new byte[] { 0xf4, 0x1a, 0x00, 0x11 }, config[0x2c..0x30]);
        Assert.Equal(0x40, config[0x34]);
        byte[] expected =
        [
            // 0x40 common cfg: vndr 0x09, next 0x50, len 16, type 1, bar 0, id 0, pad, offset 0, length 0x38
            0x09, 0x50, 0x10, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x38, 0x00, 0x00, 0x00,
            // 0x50 notify cfg: len 20, type 2, offset 0x3000, length 4 (one queue), notify_off_multiplier 4
            0x09, 0x64, 0x14, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x30, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00,
            0x04, 0x00, 0x00, 0x00,
            // 0x64 ISR cfg: type 3, offset 0x1000, length 1
            0x09, 0x74, 0x10, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
            // 0x74 PCI cfg access: len 20, type 5, bar/offset/length 0 until the driver sets them, pci_cfg_data
            0x09, 0x88, 0x14, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00,
            // 0x88 MSI-X: 2 vectors (N-1 = 1), table BAR 0 + 0x4000, PBA BAR 0 + 0x6000; end of list
            0x11, 0x00, 0x01, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x60, 0x00, 0x00,
        ];
        Assert.Equal(expected, config[0x40..(0x40 + expected.Length)]);
        Assert.All(config[(0x40 + expected.Length)..], b => Assert.Equal(0, b));
    }

    [Fact]
    public void The_pci_cfg_window_reads_and_writes_the_bar()
    {
        using GuestMemory memory = DriverRing.NewMemory();
        var function = new VirtioPciFunction("rng", new VirtioRng(), memory, new RecordingInterrupt());
        const int cap = 0x74;
        byte[] dword = new byte[4];

        // bar 0, offset of num_queues, length 2: pci_cfg_data reads 1.
        function.WriteConfig(cap + 8, BitConverter.GetBytes(VirtioPciFunction.CommonOffset + 0x12));
        function.WriteConfig(cap + 12, BitConverter.GetBytes(2u));
        function.ReadConfig(cap + 16, dword);
        Assert.Equal(1u, BitConverter.ToUInt32(dword));

        // offset of device_status, length 1: a write of pci_cfg_data sets ACKNOWLEDGE.
        function.WriteConfig(cap + 8, BitConverter.GetBytes(VirtioPciFunction.CommonOffset + 0x14));
        function.WriteConfig(cap + 12, BitConverter.GetBytes(1u));
        function.WriteConfig(cap + 16, BitConverter.GetBytes(1u));
        Assert.Equal(VirtioStatus.Acknowledge, function.Status);

        // a length other than 1, 2 or 4 makes the window inert; the cap's id byte stays 0.
        function.WriteConfig(cap + 12, BitConverter.GetBytes(3u));
        function.WriteConfig(cap + 4, new byte[] { 0, 7 });
        function.ReadConfig(cap + 4, dword);
        Assert.Equal(0u, BitConverter.ToUInt32(dword));
        function.WriteConfig(cap + 16, BitConverter.GetBytes(0u));
        Assert.Equal(VirtioStatus.Acknowledge, function.Status);
    }

    [Fact]
    public void The_bar_is_one_32_bit_memory_bar()
    {
        using GuestMemory memory = DriverRing.NewMemory();
        var function = new VirtioPciFunction("rng", new VirtioRng(), memory, new RecordingInterrupt());

        Pci.PciBarDescriptor bar = Assert.Single(function.Bars);
        Assert.Equal((0, 0x8000UL, Pci.PciBarKind.Memory32), (bar.Index, bar.Size, bar.Kind));
    }

    [Fact]
    public void Device_features_offer_version_1_event_idx_and_indirect()
    {
        using GuestMemory memory = DriverRing.NewMemory();
        var driver = new PciDriver(new VirtioPciFunction("rng", new VirtioRng(), memory, new RecordingInterrupt()));

        Assert.Equal(Version1 | VirtioFeatures.EventIdx | VirtioFeatures.IndirectDesc, driver.DeviceFeatures());
        Assert.Equal(1UL, driver.Read(driver.Common + 0x12, 2)); // num_queues
        Assert.Equal(256UL, driver.Read(driver.Common + 0x18, 2)); // queue_size of queue 0
        driver.Write(driver.Common + 0x16, 2, 1);
        Assert.Equal(0UL, driver.Read(driver.Common + 0x18, 2)); // queue 1 does not exist
    }

    [Theory]
    [InlineData(0UL)] // without VERSION_1
    [InlineData(Version1 | (1UL << 0))] // a bit the device did not offer
    public void Features_ok_is_refused_for_bad_driver_features(ulong features)
    {
        using GuestMemory memory = DriverRing.NewMemory();
        var driver = new PciDriver(new VirtioPciFunction("rng", new VirtioRng(), memory, new RecordingInterrupt()));

        byte status = driver.Initialize(features, 8);

        Assert.Equal(1 | 2, status);
    }

    [Fact]
    public void The_device_hears_the_accepted_features_once_when_features_ok_is_accepted_and_a_reset()
    {
        using GuestMemory memory = DriverRing.NewMemory();
        var device = new RecordingDevice();
        var function = new VirtioPciFunction("rng", device, memory, new RecordingInterrupt());
        var driver = new PciDriver(function);
        device.Calls.Clear();

        Assert.Equal(1 | 2, driver.Initialize(Version1 | (1UL << 0), 8)); // refused: no call
        Assert.Equal(["reset"], device.Calls);
        device.Calls.Clear();

        Assert.Equal(0x0f, driver.Initialize(Version1 | VirtioFeatures.EventIdx, 8));
        driver.Status = 0x0f; // FEATURES_OK written again: already accepted, no second call
        Assert.Equal(["reset", $"features {Version1 | VirtioFeatures.EventIdx:x}"], device.Calls);
        device.Calls.Clear();

        driver.Status = 0;
        Assert.Equal(["reset"], device.Calls);
    }

    [Fact]
    public void Status_zero_resets_queues_and_features()
    {
        using GuestMemory memory = DriverRing.NewMemory();
        var driver = new PciDriver(new VirtioPciFunction("rng", new VirtioRng(), memory, new RecordingInterrupt()));
        Assert.Equal(0x0f, driver.Initialize(Version1, 8));

        driver.Status = 0;

        Assert.Equal(0, driver.Status);
        driver.Write(driver.Common + 0x08, 4, 1);
        Assert.Equal(0UL, driver.Read(driver.Common + 0x0c, 4));
        driver.Write(driver.Common + 0x16, 2, 0);
        Assert.Equal(256UL, driver.Read(driver.Common + 0x18, 2));
        Assert.Equal(0UL, driver.Read(driver.Common + 0x1c, 2));
        Assert.Equal(0UL, driver.Read(driver.Common + 0x20, 8));
        Assert.Equal(VirtioPciFunction.NoVector, driver.Read(driver.Common + 0x1a, 2));
    }

    [Fact]
    public void Queue_registers_read_back_and_vectors_outside_the_table_read_no_vector()
    {
        using GuestMemory memory = DriverRing.NewMemory();
        var driver = new PciDriver(new VirtioPciFunction("rng", new VirtioRng(), memory, new RecordingInterrupt()));

        driver.Write(driver.Common + 0x18, 2, 16);
        driver.Write(driver.Common + 0x1a, 2, 7);
        driver.Write(driver.Common + 0x28, 4, 0x1234_5678);
        driver.Write(driver.Common + 0x2c, 4, 0x9);
        driver.Write(driver.Common + 0x10, 2, 1);

        Assert.Equal(16UL, driver.Read(driver.Common + 0x18, 2));
        Assert.Equal(VirtioPciFunction.NoVector, driver.Read(driver.Common + 0x1a, 2));
        Assert.Equal(0x9_1234_5678UL, driver.Read(driver.Common + 0x28, 8));
        Assert.Equal(1UL, driver.Read(driver.Common + 0x10, 2));
        Assert.Equal(0UL, driver.Read(driver.Common + 0x1e, 2)); // queue_notify_off
    }

    [Fact]
    public void Without_bus_master_enable_a_kick_reaches_no_memory_and_with_it_the_next_kick_is_served()
    {
        using GuestMemory memory = DriverRing.NewMemory();
        var interrupt = new RecordingInterrupt();
        var driver = new PciDriver(new VirtioPciFunction("rng", new VirtioRng(span => span.Fill(0xa5)), memory, interrupt));
        var ring = new DriverRing(memory, 8);
        Assert.Equal(0x0f, driver.Initialize(Version1, 8));
        ring.Descriptor(0, 0x40000, 4, VirtqDescriptor.FlagWrite);
        ring.Offer(0);
        driver.BusMaster(false);

        driver.Kick(0);

        Assert.Equal(0, ring.UsedIdx);
        Assert.Equal(0u, memory.Read<uint>(new GuestAddress(0x40000)));
        Assert.Empty(interrupt.Signals);
        driver.BusMaster(true);
        driver.Kick(0);
        Assert.Equal(1, ring.UsedIdx);
        Assert.Equal(0xa5a5_a5a5u, memory.Read<uint>(new GuestAddress(0x40000)));
        Assert.Equal([1], interrupt.Signals);
    }

    [Fact]
    public void A_device_config_change_moves_the_generation_and_interrupts_only_a_driver_that_is_ok()
    {
        using GuestMemory memory = DriverRing.NewMemory();
        var interrupt = new RecordingInterrupt();
        var function = new VirtioPciFunction("rng", new VirtioRng(), memory, interrupt);
        var driver = new PciDriver(function);
        driver.Status = 1 | 2;
        ulong before = driver.Read(driver.Common + 0x15, 1);

        function.NotifyConfigChanged();

        Assert.Equal(before + 1, driver.Read(driver.Common + 0x15, 1));
        Assert.Empty(interrupt.Signals);
        Assert.Equal(0x0f, driver.Initialize(Version1, 8));
        driver.Read(driver.Isr, 1); // clears what initialization left
        ulong ok = driver.Read(driver.Common + 0x15, 1);
        function.NotifyConfigChanged();
        Assert.Equal(ok + 1, driver.Read(driver.Common + 0x15, 1));
        Assert.Equal([0], interrupt.Signals); // msix_config
        Assert.Equal((ulong)VirtioPciFunction.IsrConfig, driver.Read(driver.Isr, 1));
    }

    [Fact]
    public void A_masked_vector_sets_its_pending_bit_and_fires_on_unmask()
    {
        using GuestMemory memory = DriverRing.NewMemory();
        var interrupt = new RecordingInterrupt();
        var driver = new PciDriver(new VirtioPciFunction("rng", new VirtioRng(_ => { }), memory, interrupt));
        var ring = new DriverRing(memory, 8);
        Assert.Equal(0x0f, driver.Initialize(Version1, 8));
        driver.MaskVector(1, true);
        ring.Descriptor(0, 0x40000, 4, VirtqDescriptor.FlagWrite);
        ring.Offer(0);

        driver.Kick(0);

        Assert.Empty(interrupt.Signals);
        Assert.Equal(2UL, driver.Read(driver.MsixPba, 8));
        driver.MaskVector(1, false);
        Assert.Equal([1], interrupt.Signals);
        Assert.Equal(0UL, driver.Read(driver.MsixPba, 8));
    }

    [Fact]
    public void A_bad_ring_address_at_enable_needs_reset()
    {
        using GuestMemory memory = DriverRing.NewMemory();
        var driver = new PciDriver(new VirtioPciFunction("rng", new VirtioRng(), memory, new RecordingInterrupt()));
        driver.Status = 1 | 2;
        driver.DriverFeatures(Version1);
        driver.Status = 1 | 2 | 8;
        driver.Write(driver.Common + 0x20, 8, 0xdead_0000_0000);

        driver.Write(driver.Common + 0x1c, 2, 1);

        Assert.Equal(0x40, driver.Status & 0x40);
        Assert.Equal(0UL, driver.Read(driver.Common + 0x1c, 2));
    }

    // An entropy device that records what the transport tells it.
    private sealed class RecordingDevice : IVirtioDevice
    {
        private readonly VirtioRng _inner = new(span => span.Fill(1));

        public List<string> Calls { get; } = [];
        public ushort DeviceType => _inner.DeviceType;
        public ulong Features => _inner.Features;
        public IReadOnlyList<ushort> QueueMaxSizes => _inner.QueueMaxSizes;
        public int ConfigSize => _inner.ConfigSize;
        public void ReadConfig(int offset, Span<byte> data) => _inner.ReadConfig(offset, data);
        public void WriteConfig(int offset, ReadOnlySpan<byte> data) => _inner.WriteConfig(offset, data);
        public void ProcessQueue(int index, SplitVirtqueue queue, GuestMemory memory) => _inner.ProcessQueue(index, queue, memory);
        public void FeaturesNegotiated(ulong features) => Calls.Add($"features {features:x}");
        public void Reset() => Calls.Add("reset");
    }
}
