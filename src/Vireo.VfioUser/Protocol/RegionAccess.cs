namespace Vireo.VfioUser;

/// <summary>REGION_READ / REGION_WRITE (vfio-user.rst): u64 offset, u32 region, u32 count, then
/// data in a write request and a read reply (the read request and write reply carry none).</summary>
public readonly record struct RegionAccess(ulong Offset, uint Region, uint Count, ReadOnlyMemory<byte> Data) : IVfioUserPayload
{
    /// <summary>Bytes of the fixed-size struct on the wire, before any variable-length data.</summary>
    public const int Length = 16;

    /// <inheritdoc/>
    public int EncodedLength => Length + Data.Length;

    /// <inheritdoc/>
    public void Encode(Span<byte> destination)
    {
        var writer = new PayloadWriter(destination);
        writer.U64(Offset);
        writer.U32(Region);
        writer.U32(Count);
        writer.Bytes(Data.Span);
    }

    /// <summary>Decodes; <paramref name="withData"/> says whether <c>count</c> bytes of data must follow.</summary>
    public static RegionAccess Decode(ReadOnlySpan<byte> payload, bool withData)
    {
        var reader = new PayloadReader(payload);
        ulong offset = reader.U64();
        uint region = reader.U32();
        uint count = reader.U32();
        ReadOnlyMemory<byte> data = ReadOnlyMemory<byte>.Empty;
        if (withData)
        {
            if (count != reader.Remaining)
            {
                throw new VfioUserException(Sys.Errno.EINVAL, $"region access count {count} but {reader.Remaining} data bytes");
            }
            data = reader.Rest().ToArray();
        }
        return new RegionAccess(offset, region, count, data);
    }
}
