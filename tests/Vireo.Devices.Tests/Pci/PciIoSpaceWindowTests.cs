using System.Buffers.Binary;
using Vireo.Memory;

namespace Vireo.Devices.Tests;

public sealed class PciIoSpaceWindowTests
{
    private sealed class Register : IBusDevice
    {
        public List<(ulong Offset, byte[] Data)> Writes { get; } = [];

        public void Read(ulong offset, Span<byte> data)
        {
            for (int i = 0; i < data.Length; i++)
            {
                data[i] = (byte)(0x10 + offset + (ulong)i);
            }
        }

        public void Write(ulong offset, ReadOnlySpan<byte> data) => Writes.Add((offset, data.ToArray()));
    }

    [Fact]
    public void Memory_at_offset_p_is_port_p_and_nothing_past_the_last_port()
    {
        var ports = new Bus<PioAddress>("pci io");
        var device = new Register();
        ports.Insert(new PioAddress(0x1000), 8, device, "an I/O BAR");
        var mmio = new Bus<MmioAddress>("mmio");
        mmio.Insert(new MmioAddress(0x1100_0000), PciIoSpaceWindow.Size, new PciIoSpaceWindow(ports), "PCI I/O space");

        Span<byte> word = stackalloc byte[2];
        Assert.True(mmio.Read(new MmioAddress(0x1100_1004), word));
        Assert.Equal(0x1514, BinaryPrimitives.ReadUInt16LittleEndian(word));
        mmio.Write(new MmioAddress(0x1100_1002), [0xab]);
        Assert.Equal(2UL, device.Writes.Single().Offset);
        Assert.Equal([0xab], device.Writes.Single().Data);

        // A port nothing decodes reads all-ones, as a master abort does.
        Span<byte> dword = stackalloc byte[4];
        mmio.Read(new MmioAddress(0x1100_2000), dword);
        Assert.Equal(uint.MaxValue, BinaryPrimitives.ReadUInt32LittleEndian(dword));

        // Straddling the end of the I/O space: all-ones, the write dropped, nothing wraps to port 0.
        var window = new PciIoSpaceWindow(ports);
        ports.Insert(new PioAddress(0), 4, device, "port 0");
        window.Read(0xfffe, dword);
        Assert.Equal(uint.MaxValue, BinaryPrimitives.ReadUInt32LittleEndian(dword));
        window.Write(0xfffe, [1, 2, 3, 4]);
        Assert.Single(device.Writes);
    }
}
