namespace Vireo.VfioUser;

/// <summary>DEVICE_GET_REGION_IO_FDS request and reply header (vfio-user.rst): argsz, flags,
/// index, count, then <c>count</c> sub-region entries whose stride is (argsz - 16) / count
/// (libvfio-user's ioeventfd entry is 48 bytes, the spec's 40). Entries are kept raw.</summary>
public readonly record struct RegionIoFds(uint Argsz, uint Flags, uint Index, uint Count, ReadOnlyMemory<byte> SubRegions) : IVfioUserPayload
{
    public const int Length = 16;

    public static RegionIoFds Request(uint index, uint argsz = Length) => new(argsz, 0, index, 0, ReadOnlyMemory<byte>.Empty);

    public int EncodedLength => Length + SubRegions.Length;

    public void Encode(Span<byte> destination)
    {
        var writer = new PayloadWriter(destination);
        writer.U32(Argsz);
        writer.U32(Flags);
        writer.U32(Index);
        writer.U32(Count);
        writer.Bytes(SubRegions.Span);
    }

    public static RegionIoFds Decode(ReadOnlySpan<byte> payload)
    {
        var reader = new PayloadReader(payload);
        return new RegionIoFds(reader.U32(), reader.U32(), reader.U32(), reader.U32(), reader.Rest().ToArray());
    }
}
