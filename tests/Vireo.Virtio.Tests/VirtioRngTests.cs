using Vireo.Memory;
using Vireo.Pci;

namespace Vireo.Virtio.Tests;

/// <summary>The entropy device driven end to end through the transport, as a guest driver would.</summary>
public sealed class VirtioRngTests
{
    private const ulong Version1 = VirtioFeatures.Version1;

    private static void Counting(Span<byte> data)
    {
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = (byte)(i + 1);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Driver_gets_random_bytes_a_used_entry_and_an_interrupt(bool eventIdx)
    {
        using GuestMemory memory = DriverRing.NewMemory();
        var interrupt = new RecordingInterrupt();
        var function = new VirtioPciFunction("rng", new VirtioRng(Counting), memory, interrupt);
        var driver = new PciDriver(function);
        var ring = new DriverRing(memory, 8);
        Assert.Equal(0x0f, driver.Initialize(Version1 | (eventIdx ? VirtioFeatures.EventIdx : 0), 8));
        ring.Descriptor(2, 0x40000, 64, VirtqDescriptor.FlagWrite | VirtqDescriptor.FlagNext, 5);
        ring.Descriptor(5, 0x41000, 16, VirtqDescriptor.FlagWrite);
        ring.Offer(2);

        driver.Kick(0);

        Assert.Equal(1, ring.UsedIdx);
        Assert.Equal(new VirtqUsedElement { Id = 2, Length = 80 }, ring.Used(0));
        byte[] first = new byte[64];
        memory.Read(new GuestAddress(0x40000), first);
        Assert.Equal(Enumerable.Range(1, 64).Select(i => (byte)i), first);
        Assert.Equal(1, memory.Read<byte>(new GuestAddress(0x41000)));
        Assert.Equal([1], interrupt.Signals);
        Assert.Equal((ulong)VirtioPciFunction.IsrQueue, driver.Read(driver.Isr, 1));
        Assert.Equal(0UL, driver.Read(driver.Isr, 1)); // reading cleared it
        if (eventIdx)
        {
            Assert.Equal(1, ring.AvailEvent);
        }
    }

    [Fact]
    public void The_default_source_writes_host_random_bytes()
    {
        using GuestMemory memory = DriverRing.NewMemory();
        var driver = new PciDriver(new VirtioPciFunction("rng", new VirtioRng(), memory, new RecordingInterrupt()));
        var ring = new DriverRing(memory, 8);
        Assert.Equal(0x0f, driver.Initialize(Version1, 8));
        ring.Descriptor(0, 0x40000, 256, VirtqDescriptor.FlagWrite);
        ring.Offer(0);

        driver.Kick(0);

        byte[] bytes = new byte[256];
        memory.Read(new GuestAddress(0x40000), bytes);
        Assert.True(bytes.Distinct().Count() > 64, "256 host random bytes should not be this uniform");
        Assert.Equal(256U, ring.Used(0).Length);
    }

    [Fact]
    public void A_request_is_capped_and_readable_buffers_are_left_alone()
    {
        using GuestMemory memory = DriverRing.NewMemory();
        var driver = new PciDriver(new VirtioPciFunction("rng", new VirtioRng(Counting), memory, new RecordingInterrupt()));
        var ring = new DriverRing(memory, 8);
        Assert.Equal(0x0f, driver.Initialize(Version1, 8));
        ring.Descriptor(0, 0x38000, 8, VirtqDescriptor.FlagNext, 1);
        ring.Descriptor(1, 0x40000, 0x80000, VirtqDescriptor.FlagWrite);
        ring.Offer(0);

        driver.Kick(0);

        Assert.Equal((uint)VirtioRng.MaxBytesPerRequest, ring.Used(0).Length);
        Assert.Equal(0UL, memory.Read<ulong>(new GuestAddress(0x38000)));
        Assert.Equal(0, memory.Read<byte>(new GuestAddress(0x40000 + VirtioRng.MaxBytesPerRequest)));
    }

    [Fact]
    public void A_malformed_ring_needs_reset_with_a_config_interrupt_and_a_reset_recovers()
    {
        using GuestMemory memory = DriverRing.NewMemory();
        var interrupt = new RecordingInterrupt();
        var driver = new PciDriver(new VirtioPciFunction("rng", new VirtioRng(Counting), memory, interrupt));
        var ring = new DriverRing(memory, 8);
        Assert.Equal(0x0f, driver.Initialize(Version1, 8));
        ring.Descriptor(0, 0x40000, 4, VirtqDescriptor.FlagWrite | VirtqDescriptor.FlagNext, 0); // a loop
        ring.Offer(0);

        driver.Kick(0);

        Assert.Equal(0x4f, driver.Status);
        Assert.Equal([0], interrupt.Signals); // msix_config
        Assert.Equal((ulong)VirtioPciFunction.IsrConfig, driver.Read(driver.Isr, 1));
        Assert.Equal(0, ring.UsedIdx);
        driver.Kick(0);
        Assert.Single(interrupt.Signals); // a broken device stays quiet until reset

        ring = new DriverRing(memory, 8);
        ring.SetAvailIdx(0);
        Assert.Equal(0x0f, driver.Initialize(Version1, 8));
        ring.Descriptor(0, 0x40000, 4, VirtqDescriptor.FlagWrite);
        ring.Offer(0);
        driver.Kick(0);

        Assert.Equal(1, ring.UsedIdx);
        Assert.Equal(new VirtqUsedElement { Id = 0, Length = 4 }, ring.Used(0));
        Assert.Equal([0, 1], interrupt.Signals);
    }

    [Fact]
    public void Without_msix_an_interrupt_raises_inta_until_the_driver_reads_the_isr()
    {
        using var rig = new IntxRig(msix: false);
        // The function says it has INTA#, so the guest routes it through the bus's _PRT.
        Assert.Equal(1, rig.Driver.ConfigU8(PciConfigSpace.InterruptPinOffset));

        rig.Ring.Offer(0);
        rig.Driver.Kick(0);

        // No MSI-X message; the line went high for the used buffer.
        Assert.Empty(rig.Interrupt.Signals);
        Assert.Equal([true], rig.Levels);
        // vp_interrupt reads the ISR: the queue bit, and reading it lowered the line.
        Assert.Equal((ulong)VirtioPciFunction.IsrQueue, rig.Driver.Read(rig.Driver.Isr, 1));
        Assert.Equal([true, false], rig.Levels);

        // Interrupt Disable (Command bit 10) holds the line low; clearing it lets the waiting ISR through.
        SetCommand(rig.Function, PciConfigSpace.CommandIntxDisable, on: true);
        rig.Ring.Offer(0);
        rig.Driver.Kick(0);
        Assert.Equal([true, false], rig.Levels);
        SetCommand(rig.Function, PciConfigSpace.CommandIntxDisable, on: false);
        Assert.Equal([true, false, true], rig.Levels);
        // A device reset clears the ISR, and with it the line.
        rig.Driver.Status = 0;
        Assert.Equal([true, false, true, false], rig.Levels);
    }

    [Fact]
    public void With_msix_enabled_inta_stays_low()
    {
        using var rig = new IntxRig(msix: true);

        rig.Ring.Offer(0);
        rig.Driver.Kick(0);

        Assert.Equal([1], rig.Interrupt.Signals);
        Assert.Empty(rig.Levels);
    }

    // An entropy function whose INTA# levels are recorded, initialized with or without MSI-X,
    // with descriptor 0 a 16-byte writable buffer.
    private sealed class IntxRig : IDisposable
    {
        private readonly GuestMemory _memory = DriverRing.NewMemory();

        public IntxRig(bool msix)
        {
            Function = new VirtioPciFunction("rng", new VirtioRng(Counting));
            Function.Attach(_memory, Interrupt, Levels.Add);
            Driver = new PciDriver(Function);
            Ring = new DriverRing(_memory, 8);
            Assert.Equal(0x0f, Driver.Initialize(Version1, 8, msix));
            Ring.Descriptor(0, 0x40000, 16, VirtqDescriptor.FlagWrite);
        }

        public RecordingInterrupt Interrupt { get; } = new();
        public List<bool> Levels { get; } = [];
        public VirtioPciFunction Function { get; }
        public PciDriver Driver { get; }
        public DriverRing Ring { get; }

        public void Dispose() => _memory.Dispose();
    }

    private static void SetCommand(VirtioPciFunction function, ushort bit, bool on)
    {
        Span<byte> command = stackalloc byte[2];
        function.ReadConfig(PciConfigSpace.CommandOffset, command);
        ushort value = System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(command);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(command, on ? (ushort)(value | bit) : (ushort)(value & ~bit));
        function.WriteConfig(PciConfigSpace.CommandOffset, command);
    }
}
