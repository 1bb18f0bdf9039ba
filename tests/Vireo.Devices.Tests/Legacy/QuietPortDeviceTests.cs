using Vireo.Memory;

namespace Vireo.Devices.Tests;

public sealed class QuietPortDeviceTests
{
    [Fact]
    public void ReadsItsValueAndSwallowsWritesWithoutLogging()
    {
        var lines = new List<string>();
        var bus = new Bus<PioAddress>("pio", lines.Add);
        foreach (var (start, length, readValue, purpose) in QuietPortDevice.LinuxProbedPorts)
        {
            bus.Insert(start, length, new QuietPortDevice(readValue), purpose);
        }

        Span<byte> data = stackalloc byte[2];
        Assert.True(bus.Write(new PioAddress(0x80), [0x42]));
        Assert.True(bus.Read(new PioAddress(0x4d0), data));
        Assert.Equal([0x00, 0x00], data.ToArray());
        Assert.True(bus.Read(new PioAddress(0x2f9), data[..1]));
        Assert.Equal(0xff, data[0]);
        Assert.Empty(lines);
    }

    [Fact]
    public void ThePciConfigurationPortsReadAllOnesAndAreNotReportedAsUnhandled()
    {
        var lines = new List<string>();
        var bus = new Bus<PioAddress>("pio", lines.Add);
        foreach (var (start, length, readValue, purpose) in QuietPortDevice.LinuxProbedPorts)
        {
            bus.Insert(start, length, new QuietPortDevice(readValue), purpose);
        }

        // Linux's type-1 probe: write 0x80000000 to CONFIG_ADDRESS, expect it back; then CONFIG_DATA.
        Span<byte> data = stackalloc byte[4];
        Assert.True(bus.Write(new PioAddress(0xcf8), [0x00, 0x00, 0x00, 0x80]));
        Assert.True(bus.Read(new PioAddress(0xcf8), data));
        Assert.Equal(0xffffffffu, BitConverter.ToUInt32(data));
        Assert.True(bus.Write(new PioAddress(0xcfc), [1, 2, 3, 4]));
        Assert.True(bus.Read(new PioAddress(0xcfe), data[..2]));
        Assert.Equal(0xffff, BitConverter.ToUInt16(data));
        Assert.False(bus.Read(new PioAddress(0xd00), data[..1]));
        Assert.Single(lines);
        Assert.Contains("0xd00", lines[0], StringComparison.Ordinal);
    }

    [Fact]
    public void DefaultsToAFloatingBus()
    {
        var device = new QuietPortDevice();
        Span<byte> data = stackalloc byte[4];
        device.Read(0, data);
        Assert.Equal(0xffffffffu, BitConverter.ToUInt32(data));
        Assert.Equal(0xff, device.ReadValue);
    }
}
