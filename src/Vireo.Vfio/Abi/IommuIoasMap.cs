using System.Runtime.InteropServices;

namespace Vireo.Vfio;

/// <summary>struct iommu_ioas_map (IOMMU_IOAS_MAP, linux/iommufd.h).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct IommuIoasMap
{
    public uint Size;
    public uint Flags;
    public uint IoasId;
    public uint Reserved;
    public ulong UserVa;
    public ulong Length;
    public ulong Iova;
}
