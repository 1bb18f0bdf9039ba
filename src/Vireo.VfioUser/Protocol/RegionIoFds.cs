namespace Vireo.VfioUser;

/// <summary>DEVICE_GET_REGION_IO_FDS request and reply header (vfio-user.rst): argsz, flags,
/// index, count, then <c>count</c> sub-region entries whose stride is (argsz - 16) / count
/// (libvfio-user's ioeventfd entry is 48 bytes, the spec's 40). Entries are kept raw.</summary>
public readonly record struct RegionIoFds(uint Argsz, uint Flags, uint Index, uint Count, ReadOnlyMemory<byte> SubRegions) : IVfioUserPayload
{
    /// <summary>Bytes of the fixed-size struct on the wire, before any variable-length data.</summary>
    public const int Length = 16;

    /// <summary>The DEVICE_GET_REGION_IO_FDS request for <paramref name="index"/>, room for <paramref name="argsz"/> bytes of answer.</summary>
    public static RegionIoFds Request(uint index, uint argsz = Length) => new(argsz, 0, index, 0, ReadOnlyMemory<byte>.Empty);

    /// <inheritdoc/>
    public int EncodedLength => Length + SubRegions.Length;

    /// <inheritdoc/>
    public void Encode(Span<byte> destination)
    {
        var writer = new PayloadWriter(destination);
        writer.U32(Argsz);
        writer.U32(Flags);
        writer.U32(Index);
        writer.U32(Count);
        writer.Bytes(SubRegions.Span);
    }

    /// <summary>Parses a received RegionIoFds.</summary>
    /// <param name="payload">The message payload.</param>
    /// <exception cref="VfioUserException">The payload is too short or its fields are inconsistent (EINVAL).</exception>
    public static RegionIoFds Decode(ReadOnlySpan<byte> payload)
    {
        var reader = new PayloadReader(payload);
        return new RegionIoFds(reader.U32(), reader.U32(), reader.U32(), reader.U32(), reader.Rest().ToArray());
    }
}
