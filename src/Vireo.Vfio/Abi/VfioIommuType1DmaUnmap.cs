using System.Runtime.InteropServices;

namespace Vireo.Vfio;

/// <summary>struct vfio_iommu_type1_dma_unmap before its data[] (used only with the dirty-bitmap flag).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct VfioIommuType1DmaUnmap
{
    public uint Argsz;
    public uint Flags;
    public ulong Iova;
    public ulong Size;
}
