namespace Vireo.VfioUser;

/// <summary>DMA_MAP (vfio-user.rst "VFIO_USER_DMA_MAP"): argsz 32, flags, offset into the passed
/// fd, client address, size. Without an fd the range is reached with DMA_READ/DMA_WRITE.</summary>
public readonly record struct DmaMapRequest(DmaMapFlags Flags, ulong Offset, ulong Address, ulong Size) : IVfioUserPayload
{
    /// <summary>Bytes of the fixed-size struct on the wire, before any variable-length data.</summary>
    public const int Length = 32;

    /// <inheritdoc/>
    public int EncodedLength => Length;

    /// <inheritdoc/>
    public void Encode(Span<byte> destination)
    {
        var writer = new PayloadWriter(destination);
        writer.U32(Length);
        writer.U32((uint)Flags);
        writer.U64(Offset);
        writer.U64(Address);
        writer.U64(Size);
    }

    /// <summary>Parses a received DmaMapRequest.</summary>
    /// <param name="payload">The message payload.</param>
    /// <exception cref="VfioUserException">The payload is too short or its fields are inconsistent (EINVAL).</exception>
    public static DmaMapRequest Decode(ReadOnlySpan<byte> payload)
    {
        var reader = new PayloadReader(payload);
        uint argsz = reader.U32();
        var flags = (DmaMapFlags)reader.U32();
        ulong offset = reader.U64();
        ulong address = reader.U64();
        ulong size = reader.U64();
        if (argsz < Length)
        {
            throw new VfioUserException(Sys.Errno.EINVAL, $"DMA_MAP argsz {argsz} < {Length}");
        }
        return new DmaMapRequest(flags, offset, address, size);
    }
}
