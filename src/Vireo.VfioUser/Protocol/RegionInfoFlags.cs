namespace Vireo.VfioUser;

/// <summary>linux/vfio.h VFIO_REGION_INFO_FLAG_READ/WRITE/MMAP/CAPS.</summary>
[Flags]
public enum RegionInfoFlags : uint
{
    /// <summary>No flags.</summary>
    None = 0,
    /// <summary>VFIO_REGION_INFO_FLAG_READ: the region can be read.</summary>
    Read = 1,
    /// <summary>VFIO_REGION_INFO_FLAG_WRITE: the region can be written.</summary>
    Write = 2,
    /// <summary>VFIO_REGION_INFO_FLAG_MMAP: the region (or its sparse areas) can be mmapped through the fd in the reply.</summary>
    Mmap = 4,
    /// <summary>VFIO_REGION_INFO_FLAG_CAPS: a capability chain follows the struct.</summary>
    Caps = 8,
}
