namespace Vireo.VfioUser;

/// <summary>DMA_READ / DMA_WRITE, server to client (vfio-user.rst): u64 address, u64 count
/// (u64 since libvfio-user #495; QEMU's u32 is not followed), data in a write request and a
/// read reply.</summary>
public readonly record struct DmaAccess(ulong Address, ulong Count, ReadOnlyMemory<byte> Data) : IVfioUserPayload
{
    /// <summary>Bytes of the fixed-size struct on the wire, before any variable-length data.</summary>
    public const int Length = 16;

    /// <inheritdoc/>
    public int EncodedLength => Length + Data.Length;

    /// <inheritdoc/>
    public void Encode(Span<byte> destination)
    {
        var writer = new PayloadWriter(destination);
        writer.U64(Address);
        writer.U64(Count);
        writer.Bytes(Data.Span);
    }

    /// <summary>Parses a DMA_READ/DMA_WRITE request or reply.</summary>
    /// <param name="payload">The message payload.</param>
    /// <param name="withData">Whether <c>count</c> bytes of data follow (a write request or a read reply).</param>
    /// <exception cref="VfioUserException">The payload is too short for what it announces (EINVAL).</exception>
    public static DmaAccess Decode(ReadOnlySpan<byte> payload, bool withData)
    {
        var reader = new PayloadReader(payload);
        ulong address = reader.U64();
        ulong count = reader.U64();
        ReadOnlyMemory<byte> data = ReadOnlyMemory<byte>.Empty;
        if (withData)
        {
            if (count != (ulong)reader.Remaining)
            {
                throw new VfioUserException(Sys.Errno.EINVAL, $"DMA access count {count} but {reader.Remaining} data bytes");
            }
            data = reader.Rest().ToArray();
        }
        return new DmaAccess(address, count, data);
    }
}
