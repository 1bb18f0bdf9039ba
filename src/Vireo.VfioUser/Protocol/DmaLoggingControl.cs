namespace Vireo.VfioUser;

/// <summary>The data of DEVICE_FEATURE DMA_LOGGING_START/STOP (vfio-user.rst): linux/vfio.h's
/// struct vfio_device_feature_dma_logging_control — u64 page_size, u32 num_ranges, u32 reserved —
/// with the ranges carried inline from offset 16, where the kernel struct has its pointer.</summary>
public sealed record DmaLoggingControl(ulong PageSize, IReadOnlyList<DmaLoggingRange> Ranges) : IVfioUserPayload
{
    /// <summary>offsetof(struct vfio_device_feature_dma_logging_control, ranges).</summary>
    public const int HeaderLength = 16;

    /// <inheritdoc/>
    public int EncodedLength => HeaderLength + (Ranges.Count * DmaLoggingRange.Size);

    /// <inheritdoc/>
    public void Encode(Span<byte> destination)
    {
        var writer = new PayloadWriter(destination);
        writer.U64(PageSize);
        writer.U32((uint)Ranges.Count);
        writer.U32(0);
        foreach (DmaLoggingRange range in Ranges)
        {
            writer.U64(range.Iova);
            writer.U64(range.Length);
        }
    }

    /// <summary>The control encoded into a new array, for a DEVICE_FEATURE's data.</summary>
    public byte[] ToArray()
    {
        byte[] bytes = new byte[EncodedLength];
        Encode(bytes);
        return bytes;
    }

    /// <summary>Reads the control; num_ranges must be matched by the data that follows.</summary>
    public static DmaLoggingControl Decode(ReadOnlySpan<byte> data)
    {
        var reader = new PayloadReader(data);
        ulong pageSize = reader.U64();
        uint count = reader.U32();
        reader.U32();
        if ((ulong)count * DmaLoggingRange.Size > (ulong)reader.Remaining)
        {
            throw new VfioUserException(Sys.Errno.EINVAL, $"DMA logging control announces {count} ranges in {reader.Remaining} bytes");
        }
        var ranges = new DmaLoggingRange[count];
        for (int i = 0; i < ranges.Length; i++)
        {
            ranges[i] = new DmaLoggingRange(reader.U64(), reader.U64());
        }
        return new DmaLoggingControl(pageSize, ranges);
    }
}
