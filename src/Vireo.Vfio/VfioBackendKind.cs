namespace Vireo.Vfio;

/// <summary>Which kernel interface assigns the device.</summary>
public enum VfioBackendKind
{
    /// <summary>iommufd with the device's cdev where the kernel has both (Linux 6.2+), else the group API.</summary>
    Auto,
    /// <summary>The legacy group/container API: /dev/vfio/vfio and /dev/vfio/N with the type1 IOMMU.</summary>
    Group,
    /// <summary>iommufd (/dev/iommu) with the VFIO device cdev (/dev/vfio/devices/vfioN).</summary>
    Iommufd,
}
