namespace Vireo.VfioUser;

/// <summary>DMA_MAP flags (vfio-user.rst "VFIO_USER_DMA_MAP": READ 1, WRITE 2).</summary>
[Flags]
public enum DmaMapFlags : uint
{
    /// <summary>No access: the range is mapped for neither reads nor writes.</summary>
    None = 0,
    /// <summary>VFIO_USER_F_DMA_REGION_READ: the device may read the range.</summary>
    Read = 1,
    /// <summary>VFIO_USER_F_DMA_REGION_WRITE: the device may write the range.</summary>
    Write = 2,
}
