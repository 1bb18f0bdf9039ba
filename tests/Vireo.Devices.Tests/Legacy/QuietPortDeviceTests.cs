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
    public void ThePciConfigurationPortsAreLeftToThePciRootBus()
    {
        // 0xcf8-0xcff belong to PciRootBus now; a quiet device there would make the bus insert conflict.
        Assert.DoesNotContain(QuietPortDevice.LinuxProbedPorts, p => p.Start.Value < 0xd00 && p.Start.Value + p.Length > 0xcf8);
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
