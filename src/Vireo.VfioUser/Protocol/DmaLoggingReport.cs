namespace Vireo.VfioUser;

/// <summary>The data of DEVICE_FEATURE DMA_LOGGING_REPORT (vfio-user.rst): linux/vfio.h's struct
/// vfio_device_feature_dma_logging_report — u64 iova, length, page_size — then, in the reply,
/// the bitmap inline from offset 24 (where the kernel struct has its pointer): bit i of u64 word
/// i / 64 is page iova + i * page_size.</summary>
public sealed record DmaLoggingReport(ulong Iova, ulong Length, ulong PageSize, IReadOnlyList<ulong> Bitmap) : IVfioUserPayload
{
    /// <summary>offsetof(struct vfio_device_feature_dma_logging_report, bitmap).</summary>
    public const int HeaderLength = 24;

    /// <inheritdoc/>
    public int EncodedLength => HeaderLength + (Bitmap.Count * 8);

    /// <summary>Bytes of bitmap a report of <paramref name="length"/> at
    /// <paramref name="pageSize"/> needs; null if it cannot be represented.</summary>
    public static ulong? BitmapBytes(ulong length, ulong pageSize)
    {
        if (pageSize == 0)
        {
            return null;
        }
        ulong pages = (length / pageSize) + (length % pageSize == 0 ? 0UL : 1UL);
        return ((pages + 63) / 64) * 8;
    }

    /// <inheritdoc/>
    public void Encode(Span<byte> destination)
    {
        var writer = new PayloadWriter(destination);
        writer.U64(Iova);
        writer.U64(Length);
        writer.U64(PageSize);
        foreach (ulong word in Bitmap)
        {
            writer.U64(word);
        }
    }

    /// <summary>The report encoded into a new array, for a DEVICE_FEATURE's data.</summary>
    public byte[] ToArray()
    {
        byte[] bytes = new byte[EncodedLength];
        Encode(bytes);
        return bytes;
    }

    /// <summary>Parses a received DmaLoggingReport.</summary>
    /// <param name="data">The DEVICE_FEATURE data after its 8-byte header.</param>
    /// <exception cref="VfioUserException">The payload is too short or its fields are inconsistent (EINVAL).</exception>
    public static DmaLoggingReport Decode(ReadOnlySpan<byte> data)
    {
        var reader = new PayloadReader(data);
        ulong iova = reader.U64();
        ulong length = reader.U64();
        ulong pageSize = reader.U64();
        if (reader.Remaining % 8 != 0)
        {
            throw new VfioUserException(Sys.Errno.EINVAL, $"DMA logging bitmap of {reader.Remaining} bytes is not whole u64s");
        }
        var bitmap = new ulong[reader.Remaining / 8];
        for (int i = 0; i < bitmap.Length; i++)
        {
            bitmap[i] = reader.U64();
        }
        return new DmaLoggingReport(iova, length, pageSize, bitmap);
    }
}
