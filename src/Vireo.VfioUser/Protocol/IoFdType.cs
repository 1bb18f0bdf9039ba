namespace Vireo.VfioUser;

/// <summary>Sub-region types of GET_REGION_IO_FDS (vfio-user.rst; libvfio-user
/// VFIO_USER_IO_FD_TYPE_*). Vireo serves plain ioeventfds only.</summary>
public enum IoFdType : uint
{
    /// <summary>VFIO_USER_IO_FD_TYPE_IOEVENTFD: a plain ioeventfd.</summary>
    IoEventFd = 0,
    /// <summary>VFIO_USER_IO_FD_TYPE_IOREGIONFD: an ioregionfd (not offered by Vireo).</summary>
    IoRegionFd = 1,
    /// <summary>VFIO_USER_IO_FD_TYPE_IOEVENTFD_SHADOW: an ioeventfd that also records the written value in shared memory.</summary>
    IoEventFdShadow = 2,
}
