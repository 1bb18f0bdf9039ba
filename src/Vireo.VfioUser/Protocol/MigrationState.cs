namespace Vireo.VfioUser;

/// <summary>enum vfio_device_mig_state (linux/vfio.h); RUNNING_P2P (5) and PRE_COPY_P2P (7)
/// are not offered, as libvfio-user does not offer them.</summary>
public enum MigrationState : uint
{
    Error = 0,
    Stop = 1,
    Running = 2,
    StopCopy = 3,
    Resuming = 4,
    RunningP2p = 5,
    PreCopy = 6,
    PreCopyP2p = 7,
}
