using System.Runtime.InteropServices;

namespace Vireo.Vfio;

/// <summary>struct vfio_iommu_type1_dma_map (VFIO_IOMMU_MAP_DMA).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct VfioIommuType1DmaMap
{
    public uint Argsz;
    public uint Flags;
    public ulong Vaddr;
    public ulong Iova;
    public ulong Size;
}
