namespace Vireo.VfioUser;

/// <summary>linux/vfio.h VFIO_DEVICE_FLAGS_RESET (1), VFIO_DEVICE_FLAGS_PCI (2).</summary>
[Flags]
public enum DeviceInfoFlags : uint
{
    /// <summary>No flags.</summary>
    None = 0,
    /// <summary>VFIO_DEVICE_FLAGS_RESET: the device supports DEVICE_RESET.</summary>
    Reset = 1,
    /// <summary>VFIO_DEVICE_FLAGS_PCI: a PCI device, with the PCI region and IRQ indices.</summary>
    Pci = 2,
}
