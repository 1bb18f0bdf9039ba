namespace Vireo.Devices.Fuzz;

/// <summary>What one record of a <see cref="BusTarget"/> input does: the low three bits of its
/// first byte. Port I/O appears twice, as most of the devices are on ports.</summary>
public enum BusOp : byte
{
    /// <summary>A port read: region, 3 address bytes.</summary>
    PioRead = 0,
    /// <summary>A port write: region, 3 address bytes, then the data.</summary>
    PioWrite = 1,
    /// <summary>An MMIO read: region, 3 address bytes.</summary>
    MmioRead = 2,
    /// <summary>An MMIO write: region, 3 address bytes, then the data.</summary>
    MmioWrite = 3,
    /// <summary>Something the host side does (input on COM1, a GPE, a device's MSI-X vector...): 2 bytes.</summary>
    Host = 4,
    /// <summary>The clock moves on by a 2-byte count of milliseconds, and due timer alarms fire.</summary>
    Time = 5,
    /// <summary>A port read, as <see cref="PioRead"/>.</summary>
    PioRead2 = 6,
    /// <summary>A port write, as <see cref="PioWrite"/>.</summary>
    PioWrite2 = 7,
}
