namespace Vireo.VfioUser;

/// <summary>VFIO_MIGRATION_STOP_COPY 1, P2P 2, PRE_COPY 4 (linux/vfio.h).</summary>
[Flags]
public enum MigrationFlags : ulong
{
    None = 0,
    StopCopy = 1,
    P2p = 2,
    PreCopy = 4,
}
