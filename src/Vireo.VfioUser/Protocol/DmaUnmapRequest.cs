namespace Vireo.VfioUser;

/// <summary>DMA_UNMAP request, echoed as the reply (vfio-user.rst "VFIO_USER_DMA_UNMAP"):
/// argsz 24, flags, address, size.</summary>
public readonly record struct DmaUnmapRequest(DmaUnmapFlags Flags, ulong Address, ulong Size) : IVfioUserPayload
{
    /// <summary>Bytes of the fixed-size struct on the wire, before any variable-length data.</summary>
    public const int Length = 24;

    /// <inheritdoc/>
    public int EncodedLength => Length;

    /// <inheritdoc/>
    public void Encode(Span<byte> destination)
    {
        var writer = new PayloadWriter(destination);
        writer.U32(Length);
        writer.U32((uint)Flags);
        writer.U64(Address);
        writer.U64(Size);
    }

    /// <summary>Parses a received DmaUnmapRequest.</summary>
    /// <param name="payload">The message payload.</param>
    /// <exception cref="VfioUserException">The payload is too short or its fields are inconsistent (EINVAL).</exception>
    public static DmaUnmapRequest Decode(ReadOnlySpan<byte> payload)
    {
        var reader = new PayloadReader(payload);
        uint argsz = reader.U32();
        var flags = (DmaUnmapFlags)reader.U32();
        ulong address = reader.U64();
        ulong size = reader.U64();
        if (argsz < Length)
        {
            throw new VfioUserException(Sys.Errno.EINVAL, $"DMA_UNMAP argsz {argsz} < {Length}");
        }
        return new DmaUnmapRequest(flags, address, size);
    }
}
