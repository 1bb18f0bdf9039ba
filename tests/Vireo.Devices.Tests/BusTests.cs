using Vireo.Memory;

namespace Vireo.Devices.Tests;

public sealed class BusTests
{
    [Fact]
    public void AccessesReachTheOwningDeviceWithARelativeOffset()
    {
        var bus = new Bus<PioAddress>("pio");
        var a = new CountingDevice(readValue: 0x11223344);
        var b = new CountingDevice();
        bus.Insert(new PioAddress(0x3f8), 8, a, "uart");
        bus.Insert(new PioAddress(0x60), 1, b, "kbd");

        Span<byte> data = stackalloc byte[2];
        Assert.True(bus.Read(new PioAddress(0x3fa), data));
        Assert.Equal([0x44, 0x33], data.ToArray());
        Assert.True(bus.Write(new PioAddress(0x3ff), [0x5a]));
        Assert.Equal(7UL, a.LastOffset);
        Assert.Equal(0x5aUL, a.LastWrite);
        Assert.Equal(0, b.Writes);
    }

    [Fact]
    public void UnhandledReadsAreAllOnesAndWritesAreDropped()
    {
        var bus = new Bus<MmioAddress>("mmio");
        var device = new CountingDevice();
        bus.Insert(new MmioAddress(0xd000_0000), 0x1000, device, "dev");

        Span<byte> data = stackalloc byte[4];
        Assert.False(bus.Read(new MmioAddress(0xc000_0000), data));
        Assert.Equal(0xffffffffu, BitConverter.ToUInt32(data));
        Assert.False(bus.Write(new MmioAddress(0xe000_0000), [1, 2, 3, 4]));
        // An access that straddles the end of a window is not the device's.
        Assert.False(bus.Read(new MmioAddress(0xd000_0ffe), data));
        Assert.Equal(0, device.Reads);
    }

    [Theory]
    [InlineData(0x3f8, 8)]
    [InlineData(0x3f0, 9)]
    [InlineData(0x3ff, 1)]
    [InlineData(0x300, 0x200)]
    public void OverlappingInsertsAreRejectedNamingBothDevices(int start, int length)
    {
        var bus = new Bus<PioAddress>("pio");
        bus.Insert(new PioAddress(0x3f8), 8, new CountingDevice(), "uart");

        var e = Assert.Throws<BusConflictException>(
            () => bus.Insert(new PioAddress((ushort)start), (ulong)length, new CountingDevice(), "other"));
        Assert.Contains("uart", e.Message);
        Assert.Contains("other", e.Message);
    }

    [Fact]
    public void AdjacentRangesDoNotConflict()
    {
        var bus = new Bus<PioAddress>("pio");
        bus.Insert(new PioAddress(0x3f8), 8, new CountingDevice(), "a");
        bus.Insert(new PioAddress(0x400), 8, new CountingDevice(), "b");
        bus.Insert(new PioAddress(0x3f0), 8, new CountingDevice(), "c");
        Assert.Equal(3, bus.Devices.Count);
        Assert.True(bus.Remove(new PioAddress(0x400)));
        Assert.False(bus.Write(new PioAddress(0x400), [0]));
    }

    [Fact]
    public void EachUnhandledAddressIsReportedOnceAndTheLogIsBounded()
    {
        var lines = new List<string>();
        var bus = new Bus<PioAddress>("pio", lines.Add, maxLoggedAddresses: 4);
        Span<byte> data = stackalloc byte[1];
        for (int round = 0; round < 100; round++)
        {
            for (ushort port = 0x100; port < 0x110; port++)
            {
                bus.Read(new PioAddress(port), data);
            }
        }

        Assert.Equal(5, lines.Count);
        Assert.Contains("0x100", lines[0]);
        Assert.Contains("no longer reporting", lines[4]);
    }
}
