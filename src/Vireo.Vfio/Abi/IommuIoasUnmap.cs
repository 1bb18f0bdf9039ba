using System.Runtime.InteropServices;

namespace Vireo.Vfio;

/// <summary>struct iommu_ioas_unmap (IOMMU_IOAS_UNMAP, linux/iommufd.h).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct IommuIoasUnmap
{
    public uint Size;
    public uint IoasId;
    public ulong Iova;
    public ulong Length;
}
