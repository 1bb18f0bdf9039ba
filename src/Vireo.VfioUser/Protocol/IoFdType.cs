namespace Vireo.VfioUser;

/// <summary>Sub-region types of GET_REGION_IO_FDS (vfio-user.rst; libvfio-user
/// VFIO_USER_IO_FD_TYPE_*). Vireo serves plain ioeventfds only.</summary>
public enum IoFdType : uint
{
    IoEventFd = 0,
    IoRegionFd = 1,
    IoEventFdShadow = 2,
}
