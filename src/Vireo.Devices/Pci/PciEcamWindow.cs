namespace Vireo.Devices;

/// <summary>
/// Enhanced configuration access (PCIe Base 6.0 §7.2.2) for bus 0: the 4 KiB config space of
/// device d, function f sits at offset (d &lt;&lt; 15) | (f &lt;&lt; 12) of the window. Accesses are
/// naturally aligned bytes, words or dwords; anything else reads all-ones and is dropped.
/// </summary>
internal sealed class PciEcamWindow(PciRootBus root) : IBusDevice
{
    public void Read(ulong offset, Span<byte> data)
    {
        if (Select(offset, data.Length) is (int device, int function, int register))
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
        if (Select(offset, data.Length) is (int device, int function, int register))
        {
            root.WriteConfig(device, function, register, data);
        }
    }

    private static (int Device, int Function, int Register)? Select(ulong offset, int width)
    {
        if (offset >= PciRootBus.EcamSize || width is not (1 or 2 or 4) || offset % (ulong)width != 0)
        {
            return null;
        }
        return ((int)(offset >> 15) & 0x1f, (int)(offset >> 12) & 0x7, (int)(offset & 0xfff));
    }
}
