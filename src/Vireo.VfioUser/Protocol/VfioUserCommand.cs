namespace Vireo.VfioUser;

/// <summary>Command numbers (qemu docs/interop/vfio-user.rst, "Commands"; libvfio-user
/// include/vfio-user.h). 14 was DIRTY_PAGES until 2023 and is unassigned now.</summary>
public enum VfioUserCommand : ushort
{
    /// <summary>VFIO_USER_VERSION: negotiates the protocol version and capabilities; the first message.</summary>
    Version = 1,
    /// <summary>VFIO_USER_DMA_MAP: the client adds a range of its memory the device may reach.</summary>
    DmaMap = 2,
    /// <summary>VFIO_USER_DMA_UNMAP: the client removes such a range.</summary>
    DmaUnmap = 3,
    /// <summary>VFIO_USER_DEVICE_GET_INFO: device flags and region and IRQ counts.</summary>
    DeviceGetInfo = 4,
    /// <summary>VFIO_USER_DEVICE_GET_REGION_INFO: one region's size, flags and mmap areas.</summary>
    DeviceGetRegionInfo = 5,
    /// <summary>VFIO_USER_DEVICE_GET_REGION_IO_FDS: ioeventfds the client may attach to a region.</summary>
    DeviceGetRegionIoFds = 6,
    /// <summary>VFIO_USER_DEVICE_GET_IRQ_INFO: one IRQ index's count and flags.</summary>
    DeviceGetIrqInfo = 7,
    /// <summary>VFIO_USER_DEVICE_SET_IRQS: masks, unmasks, triggers or sets eventfds for IRQs.</summary>
    DeviceSetIrqs = 8,
    /// <summary>VFIO_USER_REGION_READ: the client reads device region bytes.</summary>
    RegionRead = 9,
    /// <summary>VFIO_USER_REGION_WRITE: the client writes device region bytes.</summary>
    RegionWrite = 10,
    /// <summary>VFIO_USER_DMA_READ: the server reads client memory it has no mapping for.</summary>
    DmaRead = 11,
    /// <summary>VFIO_USER_DMA_WRITE: the server writes client memory it has no mapping for.</summary>
    DmaWrite = 12,
    /// <summary>VFIO_USER_DEVICE_RESET: resets the device.</summary>
    DeviceReset = 13,
    /// <summary>VFIO_USER_REGION_WRITE_MULTI: several small region writes in one message.</summary>
    RegionWriteMulti = 15,
    /// <summary>VFIO_USER_DEVICE_FEATURE: gets, sets or probes a device feature (linux/vfio.h VFIO_DEVICE_FEATURE).</summary>
    DeviceFeature = 16,
    /// <summary>VFIO_USER_MIG_DATA_READ: the client reads migration data from the device.</summary>
    MigDataRead = 17,
    /// <summary>VFIO_USER_MIG_DATA_WRITE: the client writes migration data to the device.</summary>
    MigDataWrite = 18,
}
