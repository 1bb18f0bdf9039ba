namespace Vireo.VfioUser;

/// <summary>struct vfio_device_feature_dma_logging_range (linux/vfio.h): an IOVA range to log.</summary>
public readonly record struct DmaLoggingRange(ulong Iova, ulong Length)
{
    public const int Size = 16;
}
