using System.Buffers.Binary;
using Vireo.SampleDevice;
using Vireo.Sys;

namespace Vireo.VfioUser.Tests;

/// <summary>The sample accelerator as a guest driver sees it, driven through the server by a
/// real client over a socketpair: identity, registers, DMA between guest memory and the BAR2
/// buffer (fd-mapped and by message), completion by MSI-X and by level INTx, and no work while in low power.</summary>
public sealed class SampleDeviceTests
{
    private const int Timeout = 30_000;
    private const ulong Guest = 0x1_0000_0000;
    private const int GuestSize = 0x10000;
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(200);

    [Fact(Timeout = Timeout)]
    public Task IdentityAndRegistersMatchTheRegisterMap() => Task.Run(() =>
    {
        using var pair = new SamplePair();
        VfioUserClient c = pair.Client;
        // Not QXL's 1b36:0100 any more: 1af4:10f1, subsystem the same, class 0x120000 rev 1.
        Assert.Equal(0x10f11af4u, c.ReadRegionU32(VfioRegionIndex.Config, 0));
        Assert.Equal(0x12000001u, c.ReadRegionU32(VfioRegionIndex.Config, 8));
        Assert.Equal(0x10f11af4u, c.ReadRegionU32(VfioRegionIndex.Config, 0x2c));
        Assert.Equal(1u, c.ReadRegionU32(VfioRegionIndex.Config, 0x3c) >> 8 & 0xff);

        Assert.Equal(0x45524956u, c.ReadRegionU32(0, 0x00));
        Assert.Equal(0x0001_0000u, c.ReadRegionU32(0, 0x0c));
        Assert.Equal(0x10000u, c.ReadRegionU32(0, 0x3c));
        Assert.Equal(0u, c.ReadRegionU32(0, 0x04));
        c.WriteRegionU32(0, 0x2c, 0x12345678);
        Assert.Equal(0x12345678u, c.ReadRegionU32(0, 0x2c));
        // 64-bit registers take 4-byte halves as well as 8-byte accesses.
        c.WriteRegionU32(0, 0x10, 0x89abcdef);
        c.WriteRegionU32(0, 0x14, 0x01234567);
        byte[] whole = new byte[8];
        c.ReadRegion(0, 0x10, whole);
        Assert.Equal(0x0123456789abcdefUL, BinaryPrimitives.ReadUInt64LittleEndian(whole));
        Assert.Equal(0x01234567u, c.ReadRegionU32(0, 0x14));
        c.Reset();
        Assert.Equal(0u, c.ReadRegionU32(0, 0x2c));
        Assert.Equal(0u, c.ReadRegionU32(0, 0x10));

        // BAR2: 128 KiB, the first 64 KiB (the buffer) mmap-able.
        RegionInfo bar2 = c.GetRegionInfo(2, out SafeFd? fd);
        using (fd)
        {
            Assert.NotNull(fd);
            Assert.Equal(0x20000UL, bar2.Size);
            Assert.Equal([new SparseMmapArea(0, 0x10000)], bar2.SparseAreas);
        }
        Assert.Equal(2u, c.GetIrqInfo((uint)VfioIrqIndex.Msix).Count);
        Assert.Equal(1u, c.GetIrqInfo((uint)VfioIrqIndex.Intx).Count);
    });

    [Fact(Timeout = Timeout)]
    public Task DmaMovesAPatternIntoTheBufferAndBackWithMsixCompletions() => Task.Run(() =>
    {
        using var pair = new SamplePair();
        VfioUserClient c = pair.Client;
        using SafeFd ram = MemFd.Create("guest", GuestSize);
        using MappedMemory guest = MappedMemory.MapShared(ram, GuestSize);
        c.DmaMap(Guest, GuestSize, DmaMapFlags.Read | DmaMapFlags.Write, ram);
        using EventFd vector0 = EventFd.Create();
        c.SetIrqEventFds(VfioIrqIndex.Msix, 0, [vector0]);
        EnableMsix(c);
        byte[] pattern = Pattern(0x1000, 7);
        pattern.CopyTo(Span(guest, 0, 0x1000));

        // Memory -> buffer at offset 0x100, started by DMA_COMMAND's start bit.
        Program(c, Guest, 0x100, 0x1000);
        c.WriteRegionU32(0, AcceleratorDevice.RegCommand, AcceleratorDevice.DirectionMemoryToBuffer | AcceleratorDevice.CommandStart);
        Assert.Equal(1UL, vector0.Wait(Long));
        Assert.Equal(AcceleratorDevice.StatusDone, c.ReadRegionU32(0, AcceleratorDevice.RegStatus));
        Assert.Equal(AcceleratorDevice.InterruptDone, c.ReadRegionU32(0, AcceleratorDevice.RegInterruptStatus));
        c.WriteRegionU32(0, AcceleratorDevice.RegInterruptAck, AcceleratorDevice.InterruptDone);
        Assert.Equal(0u, c.ReadRegionU32(0, AcceleratorDevice.RegInterruptStatus));
        // The buffer holds the pattern, through a trapped read and through the client's mmap.
        byte[] head = new byte[16];
        c.ReadRegion(2, 0x100, head);
        Assert.Equal(pattern[..16], head);
        c.GetRegionInfo(2, out SafeFd? barFd);
        using (barFd)
        using (MappedMemory bar = MappedMemory.MapShared(barFd!, AcceleratorDevice.BufferSize))
        {
            Assert.True(Span(bar, 0x100, 0x1000).SequenceEqual(pattern));
        }

        // Buffer -> memory, started by the doorbell with the direction DMA_COMMAND holds.
        c.WriteRegionU32(0, AcceleratorDevice.RegStatus, AcceleratorDevice.StatusDone);
        Program(c, 0x100, Guest + 0x8000, 0x1000);
        c.WriteRegionU32(0, AcceleratorDevice.RegCommand, AcceleratorDevice.DirectionBufferToMemory);
        c.WriteRegionU32(0, AcceleratorDevice.RegDoorbell, 1);
        Assert.Equal(1UL, vector0.Wait(Long));
        Assert.Equal(AcceleratorDevice.StatusDone, c.ReadRegionU32(0, AcceleratorDevice.RegStatus));
        Assert.True(Span(guest, 0x8000, 0x1000).SequenceEqual(pattern));
        Assert.Equal(2u, c.ReadRegionU32(0, AcceleratorDevice.RegCompleted));
    });

    [Fact(Timeout = Timeout)]
    public Task DmaByMessagesReachesGuestMemoryTheServerCannotMap() => Task.Run(() =>
    {
        var memory = new GuestArray(Guest, GuestSize);
        using var pair = new SamplePair(new VfioUserClientOptions { DmaTarget = memory });
        VfioUserClient c = pair.Client;
        c.DmaMap(Guest, GuestSize, DmaMapFlags.Read | DmaMapFlags.Write);
        byte[] pattern = Pattern(0x3000, 13);
        pattern.CopyTo(memory.Bytes, 0);
        Program(c, Guest, 0, 0x3000);
        c.WriteRegionU32(0, AcceleratorDevice.RegCommand, AcceleratorDevice.DirectionMemoryToBuffer | AcceleratorDevice.CommandStart);
        Assert.True(pair.Device.WaitIdle(Long));
        Program(c, 0, Guest + 0x4000, 0x3000);
        c.WriteRegionU32(0, AcceleratorDevice.RegCommand, AcceleratorDevice.DirectionBufferToMemory | AcceleratorDevice.CommandStart);
        Assert.True(pair.Device.WaitIdle(Long));
        Assert.Equal(AcceleratorDevice.StatusDone, c.ReadRegionU32(0, AcceleratorDevice.RegStatus));
        Assert.Equal(pattern, memory.Bytes.AsSpan(0x4000, 0x3000).ToArray());
    });

    [Fact(Timeout = Timeout)]
    public Task WithMsixOffCompletionIsALevelIntxUntilAcknowledged() => Task.Run(() =>
    {
        using var pair = new SamplePair();
        VfioUserClient c = pair.Client;
        using SafeFd ram = MemFd.Create("guest", GuestSize);
        c.DmaMap(Guest, GuestSize, DmaMapFlags.Read | DmaMapFlags.Write, ram);
        using EventFd intx = EventFd.Create();
        using EventFd unmask = EventFd.Create();
        c.SetIrqEventFds(VfioIrqIndex.Intx, 0, [intx]);
        c.SetIrqUnmaskEventFd(VfioIrqIndex.Intx, unmask);
        Program(c, Guest, 0, 0x100);
        c.WriteRegionU32(0, AcceleratorDevice.RegCommand, AcceleratorDevice.DirectionMemoryToBuffer | AcceleratorDevice.CommandStart);
        Assert.Equal(1UL, intx.Wait(Long));
        Assert.Equal(AcceleratorDevice.InterruptDone, c.ReadRegionU32(0, AcceleratorDevice.RegInterruptStatus));
        // An EOI without the acknowledgement (a handler that did not service it): the line is
        // still high, so it fires once more, and only once.
        unmask.Signal();
        Assert.Equal(1UL, intx.Wait(Long));
        Assert.Equal(0UL, intx.Wait(Quiet));
        // Acknowledged, then EOI: nothing more.
        c.WriteRegionU32(0, AcceleratorDevice.RegInterruptAck, AcceleratorDevice.InterruptDone);
        unmask.Signal();
        Assert.Equal(0UL, intx.Wait(Quiet));
        // The next completion fires again.
        c.WriteRegionU32(0, AcceleratorDevice.RegDoorbell, 1);
        Assert.Equal(1UL, intx.Wait(Long));
        c.WriteRegionU32(0, AcceleratorDevice.RegInterruptAck, AcceleratorDevice.InterruptDone);
        unmask.Signal();

        // With INTx disabled in the Command register a completion stays silent until the guest
        // enables it again.
        c.WriteRegion(VfioRegionIndex.Config, 4, [0, 0x04]);
        c.WriteRegionU32(0, AcceleratorDevice.RegDoorbell, 1);
        Assert.True(pair.Device.WaitIdle(Long));
        Assert.Equal(0UL, intx.Wait(Quiet));
        c.WriteRegion(VfioRegionIndex.Config, 4, [0, 0]);
        Assert.Equal(1UL, intx.Wait(Long));
        Assert.Equal(3u, c.ReadRegionU32(0, AcceleratorDevice.RegCompleted));
    });

    [Fact(Timeout = Timeout)]
    public Task PmCapabilityOffersPmeFromD3HotAndD3Cold() => Task.Run(() =>
    {
        using var pair = new SamplePair();
        VfioUserClient c = pair.Client;
        int pm = FindCapability(c, 0x01);
        // PMC: version 3 and PME_Support D3hot (bit 14) and D3cold (bit 15), so a Linux guest's
        // pci_dev_run_wake() allows runtime wake from D3cold and arms the ACPI wake GPE.
        Assert.Equal(0xc003u, c.ReadRegionU32(VfioRegionIndex.Config, (ulong)pm) >> 16);
    });

    [Fact(Timeout = Timeout)]
    public Task InLowPowerADmaUnderWayStopsAndFinishesAfterTheWake() => Task.Run(() =>
    {
        var memory = new GatedGuest(Guest, GuestSize);
        using var pair = new SamplePair(new VfioUserClientOptions { DmaTarget = memory });
        VfioUserClient c = pair.Client;
        c.DmaMap(Guest, GuestSize, DmaMapFlags.Read | DmaMapFlags.Write);
        using EventFd vector0 = EventFd.Create();
        c.SetIrqEventFds(VfioIrqIndex.Msix, 0, [vector0]);
        EnableMsix(c);
        byte[] pattern = Pattern(0x1000, 3);
        pattern.CopyTo(memory.Bytes, 0);

        // Memory to memory; the device's first read waits at the gate, so the DMA is under way
        // when the client puts the device in low power.
        Program(c, Guest, Guest + 0x8000, 0x1000);
        c.WriteRegionU32(0, AcceleratorDevice.RegCommand, AcceleratorDevice.DirectionMemoryToMemory | AcceleratorDevice.CommandStart);
        Assert.True(memory.ReadStarted.Wait(Long));
        using EventFd wake = EventFd.Create();
        c.LowPowerEntryWithWakeup(wake);
        memory.Gate.Set();

        // Low: no write to guest memory, no completion interrupt, and the device stays low.
        Assert.Equal(0UL, vector0.Wait(Quiet));
        Assert.Equal(0, memory.Writes);
        Assert.True(pair.Server.IsLowPower);
        Assert.Equal(0UL, wake.TryRead());

        // The device's own wake: the client hears it once, and the work goes on.
        pair.Device.Host.RequestWake();
        Assert.Equal(1UL, wake.Wait(Long));
        Assert.Equal(1UL, vector0.Wait(Long));
        Assert.False(pair.Server.IsLowPower);
        Assert.Equal(pattern, memory.Bytes.AsSpan(0x8000, 0x1000).ToArray());
        Assert.Equal(AcceleratorDevice.StatusDone, c.ReadRegionU32(0, AcceleratorDevice.RegStatus));
        Assert.Equal(1u, c.ReadRegionU32(0, AcceleratorDevice.RegCompleted));
    });

    [Fact(Timeout = Timeout)]
    public Task InPlainLowPowerAQueuedDmaWaitsForLowPowerExit() => Task.Run(() =>
    {
        var memory = new GatedGuest(Guest, GuestSize);
        using var pair = new SamplePair(new VfioUserClientOptions { DmaTarget = memory });
        VfioUserClient c = pair.Client;
        c.DmaMap(Guest, GuestSize, DmaMapFlags.Read | DmaMapFlags.Write);
        using EventFd vector0 = EventFd.Create();
        c.SetIrqEventFds(VfioIrqIndex.Msix, 0, [vector0]);
        EnableMsix(c);
        Program(c, Guest, Guest + 0x8000, 0x100);
        c.WriteRegionU32(0, AcceleratorDevice.RegCommand, AcceleratorDevice.DirectionMemoryToMemory | AcceleratorDevice.CommandStart);
        Assert.True(memory.ReadStarted.Wait(Long));
        // Without a wake eventfd the device only wakes for each access and goes back to low
        // power after it, and its own wake request changes nothing (the client opted out).
        c.LowPowerEntry();
        memory.Gate.Set();
        pair.Device.Host.RequestWake();
        Assert.Equal(0UL, vector0.Wait(Quiet));
        Assert.Equal(0, memory.Writes);
        Assert.True(pair.Server.IsLowPower);
        c.LowPowerExit();
        Assert.Equal(1UL, vector0.Wait(Long));
        Assert.Equal(1, memory.Writes);
    });

    public static TheoryData<string, uint, ulong, ulong, uint> BadDmas => new()
    {
        { "reserved direction 3", 3, Guest, 0, 16 },
        { "into the buffer past its end", AcceleratorDevice.DirectionMemoryToBuffer, Guest, 0xff00, 0x200 },
        { "from past the buffer", AcceleratorDevice.DirectionBufferToMemory, 0x10000, Guest, 1 },
        { "an offset that would wrap", AcceleratorDevice.DirectionBufferToMemory, ulong.MaxValue, Guest, 2 },
        { "guest memory nobody mapped", AcceleratorDevice.DirectionMemoryToBuffer, 0x7000_0000, 0, 16 },
        { "memory to memory outside the map", AcceleratorDevice.DirectionMemoryToMemory, Guest, Guest + GuestSize - 8, 16 },
    };

    [Theory(Timeout = Timeout)]
    [MemberData(nameof(BadDmas))]
    public Task ABadDmaSetsErrorAndStillInterrupts(string name, uint direction, ulong source, ulong destination, uint length) => Task.Run(() =>
    {
        using var pair = new SamplePair();
        VfioUserClient c = pair.Client;
        using SafeFd ram = MemFd.Create("guest", GuestSize);
        c.DmaMap(Guest, GuestSize, DmaMapFlags.Read | DmaMapFlags.Write, ram);
        using EventFd vector0 = EventFd.Create();
        c.SetIrqEventFds(VfioIrqIndex.Msix, 0, [vector0]);
        EnableMsix(c);
        Program(c, source, destination, length);
        c.WriteRegionU32(0, AcceleratorDevice.RegCommand, direction | AcceleratorDevice.CommandStart);
        Assert.True(vector0.Wait(Long) == 1, name);
        Assert.Equal(AcceleratorDevice.StatusError, c.ReadRegionU32(0, AcceleratorDevice.RegStatus));
        Assert.Equal(0u, c.ReadRegionU32(0, AcceleratorDevice.RegCompleted));
        // The device goes on: a good DMA after it completes.
        c.WriteRegionU32(0, AcceleratorDevice.RegStatus, AcceleratorDevice.StatusError);
        Program(c, Guest, 0, 16);
        c.WriteRegionU32(0, AcceleratorDevice.RegCommand, AcceleratorDevice.DirectionMemoryToBuffer | AcceleratorDevice.CommandStart);
        Assert.Equal(1UL, vector0.Wait(Long));
        Assert.Equal(AcceleratorDevice.StatusDone, c.ReadRegionU32(0, AcceleratorDevice.RegStatus));
    });

    private static void Program(VfioUserClient c, ulong source, ulong destination, uint length)
    {
        byte[] value = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(value, source);
        c.WriteRegion(0, AcceleratorDevice.RegSource, value);
        BinaryPrimitives.WriteUInt64LittleEndian(value, destination);
        c.WriteRegion(0, AcceleratorDevice.RegDestination, value);
        c.WriteRegionU32(0, AcceleratorDevice.RegLength, length);
    }

    private static void EnableMsix(VfioUserClient c)
    {
        // Walk the capability list to MSI-X (id 0x11) and set Message Control bit 15.
        int at = (int)(c.ReadRegionU32(VfioRegionIndex.Config, 0x34) & 0xfc);
        while (at != 0 && (byte)c.ReadRegionU32(VfioRegionIndex.Config, (ulong)at) != 0x11)
        {
            at = (int)(c.ReadRegionU32(VfioRegionIndex.Config, (ulong)at) >> 8 & 0xfc);
        }
        Assert.NotEqual(0, at);
        c.WriteRegion(VfioRegionIndex.Config, (ulong)at + 2, [0, 0x80]);
    }

    private static byte[] Pattern(int length, int step)
    {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)((i * step) + 1);
        }
        return bytes;
    }

    private static unsafe Span<byte> Span(MappedMemory map, int offset, int length)
        // Safe: every caller stays inside the mapping, which outlives the span's use.
        => new((byte*)map.DangerousGetAddress() + offset, length);

    private static int FindCapability(VfioUserClient c, byte id)
    {
        int at = (int)(c.ReadRegionU32(VfioRegionIndex.Config, 0x34) & 0xfc);
        while (at != 0 && (byte)c.ReadRegionU32(VfioRegionIndex.Config, (ulong)at) != id)
        {
            at = (int)(c.ReadRegionU32(VfioRegionIndex.Config, (ulong)at) >> 8 & 0xfc);
        }
        Assert.NotEqual(0, at);
        return at;
    }

    /// <summary>Guest memory served by message whose first read waits at a gate the test opens,
    /// and which counts the device's writes.</summary>
    private sealed class GatedGuest(ulong baseAddress, int size) : IVfioUserDmaTarget
    {
        private int _writes;

        public byte[] Bytes { get; } = new byte[size];

        public ManualResetEventSlim ReadStarted { get; } = new();

        public ManualResetEventSlim Gate { get; } = new();

        public int Writes => Volatile.Read(ref _writes);

        public void Read(ulong address, Span<byte> destination)
        {
            ReadStarted.Set();
            Gate.Wait(Long);
            Bytes.AsSpan(checked((int)(address - baseAddress)), destination.Length).CopyTo(destination);
        }

        public void Write(ulong address, ReadOnlySpan<byte> source)
        {
            Interlocked.Increment(ref _writes);
            source.CopyTo(Bytes.AsSpan(checked((int)(address - baseAddress))));
        }
    }

    private sealed class GuestArray(ulong baseAddress, int size) : IVfioUserDmaTarget
    {
        public byte[] Bytes { get; } = new byte[size];

        public void Read(ulong address, Span<byte> destination) => Bytes.AsSpan(checked((int)(address - baseAddress)), destination.Length).CopyTo(destination);

        public void Write(ulong address, ReadOnlySpan<byte> source) => source.CopyTo(Bytes.AsSpan(checked((int)(address - baseAddress))));
    }
}
