using Vireo.Pci;

namespace Vireo.Devices.Fuzz;

/// <summary>The machine an input runs on, from its <see cref="Length"/>-byte header.</summary>
/// <param name="ConfigSize">The functions' config space: 256, or 4096 (PCI Express, through ECAM).</param>
/// <param name="PowerManaged">Whether the first function has slot power registers (and can be ejected).</param>
/// <param name="SecondFunction">Whether a second function shares the bus (BARs can then collide).</param>
/// <param name="MsixVectors">The first function's MSI-X vectors.</param>
/// <param name="Slot">The first function's slot, 1 to 31.</param>
/// <param name="SerialRxCapacity">COM1's receive FIFO, 1 to 128 bytes.</param>
public sealed record BusShape(int ConfigSize, bool PowerManaged, bool SecondFunction, int MsixVectors, int Slot, int SerialRxCapacity)
{
    /// <summary>Header bytes: flags, MSI-X vectors, slot, receive FIFO size.</summary>
    public const int Length = 4;

    /// <summary>Byte 0 bit 0: 4 KiB config space.</summary>
    public const byte ExtendedConfig = 1;
    /// <summary>Byte 0 bit 1: slot power registers.</summary>
    public const byte WithSlotPower = 2;
    /// <summary>Byte 0 bit 2: a second function.</summary>
    public const byte WithSecondFunction = 4;

    /// <summary>Reads the header; every byte value means something.</summary>
    public static BusShape Parse(ReadOnlySpan<byte> header) => new(
        (header[0] & ExtendedConfig) != 0 ? PciConfigSpace.ExtendedSize : PciConfigSpace.StandardSize,
        (header[0] & WithSlotPower) != 0,
        (header[0] & WithSecondFunction) != 0,
        1 + (header[1] % FuzzPciFunction.MaxVectors),
        1 + (header[2] % 31),
        1 + (header[3] % 128));
}
