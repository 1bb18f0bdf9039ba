namespace Vireo.VfioUser;

/// <summary>enum vfio_device_mig_state (linux/vfio.h); RUNNING_P2P (5) and PRE_COPY_P2P (7)
/// are not offered, as libvfio-user does not offer them.</summary>
public enum MigrationState : uint
{
    /// <summary>VFIO_DEVICE_STATE_ERROR: a transition failed; only reset leaves it.</summary>
    Error = 0,
    /// <summary>VFIO_DEVICE_STATE_STOP: the device does not run or change its state.</summary>
    Stop = 1,
    /// <summary>VFIO_DEVICE_STATE_RUNNING: normal operation.</summary>
    Running = 2,
    /// <summary>VFIO_DEVICE_STATE_STOP_COPY: stopped, its state readable with MIG_DATA_READ.</summary>
    StopCopy = 3,
    /// <summary>VFIO_DEVICE_STATE_RESUMING: stopped, taking state with MIG_DATA_WRITE.</summary>
    Resuming = 4,
    /// <summary>VFIO_DEVICE_STATE_RUNNING_P2P: running, but starting no peer-to-peer DMA.</summary>
    RunningP2p = 5,
    /// <summary>VFIO_DEVICE_STATE_PRE_COPY: running, with its state readable ahead of the stop.</summary>
    PreCopy = 6,
    /// <summary>VFIO_DEVICE_STATE_PRE_COPY_P2P: PRE_COPY without starting peer-to-peer DMA.</summary>
    PreCopyP2p = 7,
}
