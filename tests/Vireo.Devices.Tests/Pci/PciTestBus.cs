using System.Buffers.Binary;
using Vireo.Memory;

namespace Vireo.Devices.Tests;

/// <summary>A root bus on real port and MMIO buses, with the guest's config accesses as helpers.</summary>
internal sealed class PciTestBus
{
    public static readonly PciRootBusLayout Layout = new(
        EcamBase: new MmioAddress(0xe000_0000),
        Memory32Base: new MmioAddress(0xc000_0000),
        Memory32Size: 0x2000_0000,
        Memory64Base: new MmioAddress(0x1_0000_0000),
        Memory64Size: 0x8_0000_0000,
        IoBarBase: new PioAddress(0x1000),
        IoBarSize: 0xf000,
        IntxGsis: [16, 17, 18, 19]);

    public PciTestBus()
    {
        Root = new PciRootBus(Layout, Pio, Mmio, Warnings.Add);
    }

    public Bus<PioAddress> Pio { get; } = new("pio");

    public Bus<MmioAddress> Mmio { get; } = new("mmio");

    public List<string> Warnings { get; } = [];

    public PciRootBus Root { get; }

    public static uint Address(int device, int register, int function = 0, int bus = 0) =>
        0x8000_0000u | ((uint)bus << 16) | ((uint)device << 11) | ((uint)function << 8) | (uint)(register & 0xfc);

    public void OutL(ushort port, uint value)
    {
        Span<byte> data = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(data, value);
        Pio.Write(new PioAddress(port), data);
    }

    public uint InL(ushort port)
    {
        Span<byte> data = stackalloc byte[4];
        Pio.Read(new PioAddress(port), data);
        return BinaryPrimitives.ReadUInt32LittleEndian(data);
    }

    public ulong In(ushort port, int width)
    {
        Span<byte> data = stackalloc byte[8];
        Pio.Read(new PioAddress(port), data[..width]);
        return BinaryPrimitives.ReadUInt64LittleEndian(data);
    }

    public void Out(ushort port, ulong value, int width)
    {
        Span<byte> data = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(data, value);
        Pio.Write(new PioAddress(port), data[..width]);
    }

    /// <summary>Mechanism #1 read, as Linux's pci_conf1_read does it: CONFIG_ADDRESS names the
    /// dword, the access goes to the byte lane of CONFIG_DATA.</summary>
    public uint Cf8Read(int device, int register, int width = 4, int function = 0, int bus = 0)
    {
        OutL(0xcf8, Address(device, register, function, bus));
        return (uint)In((ushort)(0xcfc + (register & 3)), width);
    }

    public void Cf8Write(int device, int register, uint value, int width = 4)
    {
        OutL(0xcf8, Address(device, register));
        Out((ushort)(0xcfc + (register & 3)), value, width);
    }

    public ulong EcamRead(int device, int register, int width = 4, int function = 0)
    {
        Span<byte> data = stackalloc byte[8];
        Mmio.Read(Layout.EcamBase.Add(((ulong)device << 15) | ((ulong)function << 12) | (uint)register), data[..width]);
        return BinaryPrimitives.ReadUInt64LittleEndian(data);
    }

    public void EcamWrite(int device, int register, ulong value, int width = 4)
    {
        Span<byte> data = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(data, value);
        Mmio.Write(Layout.EcamBase.Add(((ulong)device << 15) | (uint)register), data[..width]);
    }

    public ulong MmioRead(ulong address, int width)
    {
        Span<byte> data = stackalloc byte[8];
        Mmio.Read(new MmioAddress(address), data[..width]);
        return BinaryPrimitives.ReadUInt64LittleEndian(data);
    }

    public bool MmioWrite(ulong address, ulong value, int width)
    {
        Span<byte> data = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(data, value);
        return Mmio.Write(new MmioAddress(address), data[..width]);
    }
}
