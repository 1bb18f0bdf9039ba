namespace Vireo.Vfio;

/// <summary>A host PCI device as sysfs describes it, resolved by <see cref="VfioSysfs.Resolve"/>.</summary>
/// <param name="Address">Its PCI address, domain included (0000:00:03.0).</param>
/// <param name="SysfsPath">Its sysfs directory (under the sysfs root it was resolved in).</param>
/// <param name="IommuGroup">The number of its IOMMU group (/dev/vfio/N).</param>
/// <param name="Cdev">The name of its VFIO device cdev (vfio0, for /dev/vfio/devices/vfio0), or null when the kernel made none.</param>
public sealed record VfioHostDevice(string Address, string SysfsPath, int IommuGroup, string? Cdev);
