namespace Vireo.VfioUser;

/// <summary>struct vfio_device_feature_dma_logging_range (linux/vfio.h): an IOVA range to log.</summary>
public readonly record struct DmaLoggingRange(ulong Iova, ulong Length)
{
    /// <summary>Bytes of one range on the wire: u64 iova, u64 length.</summary>
    public const int Size = 16;
}
