namespace Vireo.VfioUser;

/// <summary>DMA_MAP flags (vfio-user.rst "VFIO_USER_DMA_MAP": READ 1, WRITE 2).</summary>
[Flags]
public enum DmaMapFlags : uint
{
    None = 0,
    Read = 1,
    Write = 2,
}
