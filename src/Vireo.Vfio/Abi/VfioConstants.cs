namespace Vireo.Vfio;

/// <summary>Constants of linux/vfio.h and linux/iommufd.h that the structs carry.</summary>
internal static class VfioConstants
{
    /// <summary>VFIO_API_VERSION: what VFIO_GET_API_VERSION answers.</summary>
    public const int ApiVersion = 0;

    /// <summary>VFIO_TYPE1_IOMMU: the original type1 IOMMU model.</summary>
    public const uint Type1Iommu = 1;

    /// <summary>VFIO_TYPE1v2_IOMMU: type1 with unmap semantics that do not split mappings.</summary>
    public const uint Type1v2Iommu = 3;

    /// <summary>VFIO_GROUP_FLAGS_VIABLE: every device of the group is bound to a VFIO-safe driver.</summary>
    public const uint GroupFlagsViable = 1;

    /// <summary>VFIO_GROUP_FLAGS_CONTAINER_SET: the group already sits in a container.</summary>
    public const uint GroupFlagsContainerSet = 2;

    /// <summary>VFIO_DMA_MAP_FLAG_READ: the device may read the range.</summary>
    public const uint DmaMapFlagRead = 1;

    /// <summary>VFIO_DMA_MAP_FLAG_WRITE: the device may write the range.</summary>
    public const uint DmaMapFlagWrite = 2;

    /// <summary>IOMMU_IOAS_MAP_FIXED_IOVA: map at the given IOVA, not one the kernel picks.</summary>
    public const uint IoasMapFixedIova = 1;

    /// <summary>IOMMU_IOAS_MAP_WRITEABLE: DMA may write the range.</summary>
    public const uint IoasMapWriteable = 2;

    /// <summary>IOMMU_IOAS_MAP_READABLE: DMA may read the range.</summary>
    public const uint IoasMapReadable = 4;

    /// <summary>VFIO_REGION_INFO_CAP_TYPE: the region's type/subtype (device-specific regions).</summary>
    public const ushort RegionInfoCapType = 2;

    /// <summary>VFIO_REGION_INFO_CAP_MSIX_MAPPABLE: the MSI-X table's BAR may be mmapped whole.</summary>
    public const ushort RegionInfoCapMsixMappable = 3;
}
