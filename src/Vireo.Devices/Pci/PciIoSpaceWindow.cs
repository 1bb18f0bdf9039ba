using Vireo.Memory;

namespace Vireo.Devices;

/// <summary>
/// The PCI I/O space of a machine without port I/O instructions (arm64): a 64 KiB MMIO window
/// whose byte at offset p is port p of <paramref name="ports"/>, the bus the <see cref="PciRootBus"/>
/// puts I/O BARs on. The guest learns the window from its host bridge's <c>ranges</c> (an I/O
/// space entry, PCI bus binding 1275 §2.2.1.1) and maps it as its PCI_IOBASE, as on a real arm64
/// SoC's host bridge. An access that would run past port 0xFFFF reads all-ones and is dropped.
/// </summary>
public sealed class PciIoSpaceWindow(Bus<PioAddress> ports) : IBusDevice
{
    /// <summary>The window's size: the 64 Ki ports of PCI I/O space.</summary>
    public const ulong Size = 0x1_0000;

    /// <inheritdoc/>
    public void Read(ulong offset, Span<byte> data)
    {
        if (offset + (ulong)data.Length > Size)
        {
            data.Fill(0xff);
            return;
        }
        ports.Read(new PioAddress((ushort)offset), data);
    }

    /// <inheritdoc/>
    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        if (offset + (ulong)data.Length <= Size)
        {
            ports.Write(new PioAddress((ushort)offset), data);
        }
    }
}
