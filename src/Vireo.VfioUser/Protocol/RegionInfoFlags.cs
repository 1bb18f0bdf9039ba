namespace Vireo.VfioUser;

/// <summary>linux/vfio.h VFIO_REGION_INFO_FLAG_READ/WRITE/MMAP/CAPS.</summary>
[Flags]
public enum RegionInfoFlags : uint
{
    None = 0,
    Read = 1,
    Write = 2,
    Mmap = 4,
    Caps = 8,
}
