namespace Vireo.VfioUser;

/// <summary>linux/vfio.h VFIO_DEVICE_FLAGS_RESET (1), VFIO_DEVICE_FLAGS_PCI (2).</summary>
[Flags]
public enum DeviceInfoFlags : uint
{
    None = 0,
    Reset = 1,
    Pci = 2,
}
