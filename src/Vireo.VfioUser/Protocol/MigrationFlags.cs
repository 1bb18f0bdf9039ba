namespace Vireo.VfioUser;

/// <summary>VFIO_MIGRATION_STOP_COPY 1, P2P 2, PRE_COPY 4 (linux/vfio.h).</summary>
[Flags]
public enum MigrationFlags : ulong
{
    /// <summary>No migration support.</summary>
    None = 0,
    /// <summary>VFIO_MIGRATION_STOP_COPY: the mandatory flow, state copied while the device is stopped.</summary>
    StopCopy = 1,
    /// <summary>VFIO_MIGRATION_P2P: the RUNNING_P2P state, for quiescing peer-to-peer DMA.</summary>
    P2p = 2,
    /// <summary>VFIO_MIGRATION_PRE_COPY: state can be copied while the device still runs.</summary>
    PreCopy = 4,
}
