using System.Buffers.Binary;

namespace Vireo.Devices;

/// <summary>
/// Configuration mechanism #1 (PCI Local Bus 3.0 §3.2.2.3.2) on ports 0xCF8-0xCFF: CONFIG_ADDRESS
/// at 0xCF8, written and read only as a dword; CONFIG_DATA at 0xCFC-0xCFF, any naturally aligned
/// byte, word or dword of the register CONFIG_ADDRESS selects.
/// </summary>
/// <remarks>
/// Non-dword accesses to 0xCF8-0xCFB are not CONFIG_ADDRESS: Linux's type 1 probe writes a byte
/// to 0xCFB first (arch/x86/pci/direct.c), which must not disturb it, so such writes are dropped
/// and reads return all-ones. The enable bit (31) clear, or a bus other than 0, reads all-ones.
/// </remarks>
internal sealed class PciConfigPorts(PciRootBus root) : IBusDevice
{
    public const int PortCount = 8;
    private const int DataOffset = 4;
    private const uint EnableBit = 0x8000_0000;
    // Bits 30:24 are reserved and bits 1:0 select type 0/1; both read back as 0.
    private const uint AddressBits = 0x80ff_fffc;

    private uint _address;

    /// <summary>CONFIG_ADDRESS as the guest last wrote it, reserved bits cleared.</summary>
    public uint ConfigAddress => Volatile.Read(ref _address);

    public void Read(ulong offset, Span<byte> data)
    {
        if (offset == 0 && data.Length == 4)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(data, ConfigAddress);
        }
        else if (offset >= DataOffset && Select(offset, data.Length) is (int device, int function, int register))
        {
            root.ReadConfig(device, function, register, data);
        }
        else
        {
            data.Fill(0xff);
        }
    }

    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        if (offset == 0 && data.Length == 4)
        {
            Volatile.Write(ref _address, BinaryPrimitives.ReadUInt32LittleEndian(data) & AddressBits);
        }
        else if (offset >= DataOffset && Select(offset, data.Length) is (int device, int function, int register))
        {
            root.WriteConfig(device, function, register, data);
        }
    }

    // The register CONFIG_ADDRESS names plus the byte lane of the data port; null when the
    // enable bit is clear, the bus is not 0, or the access is not naturally aligned.
    private (int Device, int Function, int Register)? Select(ulong offset, int width)
    {
        uint address = ConfigAddress;
        int register = (int)(address & 0xfc) + (int)(offset - DataOffset);
        if ((address & EnableBit) == 0 || ((address >> 16) & 0xff) != 0 || width is not (1 or 2 or 4) || register % width != 0)
        {
            return null;
        }
        return ((int)(address >> 11) & 0x1f, (int)(address >> 8) & 0x7, register);
    }
}
