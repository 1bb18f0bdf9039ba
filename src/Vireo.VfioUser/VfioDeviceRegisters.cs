using System.Buffers.Binary;

namespace Vireo.VfioUser;

/// <summary>32-bit register access on any <see cref="IVfioDevice"/> region (little-endian, as PCI is).</summary>
public static class VfioDeviceRegisters
{
    /// <summary>Reads the 32-bit register at <paramref name="offset"/> of <paramref name="region"/>.</summary>
    /// <param name="device">The device.</param>
    /// <param name="region">The region index.</param>
    /// <param name="offset">The register's offset in the region.</param>
    public static uint ReadRegionU32(this IVfioDevice device, uint region, ulong offset)
    {
        ArgumentNullException.ThrowIfNull(device);
        Span<byte> data = stackalloc byte[4];
        device.ReadRegion(region, offset, data);
        return BinaryPrimitives.ReadUInt32LittleEndian(data);
    }

    /// <summary>Writes the 32-bit register at <paramref name="offset"/> of <paramref name="region"/>
    /// and returns once the device has it.</summary>
    /// <param name="device">The device.</param>
    /// <param name="region">The region index.</param>
    /// <param name="offset">The register's offset in the region.</param>
    /// <param name="value">The value to write.</param>
    public static void WriteRegionU32(this IVfioDevice device, uint region, ulong offset, uint value)
    {
        ArgumentNullException.ThrowIfNull(device);
        Span<byte> data = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(data, value);
        device.WriteRegion(region, offset, data);
    }
}
