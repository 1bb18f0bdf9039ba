namespace Vireo.VfioUser;

/// <summary>DMA_UNMAP flags: UNMAP_ALL 2 as in linux/vfio.h VFIO_DMA_UNMAP_FLAG_ALL, accepted by
/// libvfio-user with addr = size = 0.</summary>
[Flags]
public enum DmaUnmapFlags : uint
{
    /// <summary>Unmap exactly the given range.</summary>
    None = 0,
    /// <summary>VFIO_DMA_UNMAP_FLAG_ALL: unmap every range; address and size must be zero.</summary>
    All = 2,
}
