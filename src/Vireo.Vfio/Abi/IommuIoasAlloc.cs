using System.Runtime.InteropServices;

namespace Vireo.Vfio;

/// <summary>struct iommu_ioas_alloc (IOMMU_IOAS_ALLOC, linux/iommufd.h).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct IommuIoasAlloc
{
    public uint Size;
    public uint Flags;
    public uint OutIoasId;
}
