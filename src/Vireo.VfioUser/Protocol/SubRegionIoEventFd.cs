namespace Vireo.VfioUser;

/// <summary>One ioeventfd entry of a GET_REGION_IO_FDS reply as libvfio-user lays it out
/// (include/vfio-user.h vfio_user_sub_region_ioeventfd, 48 bytes): gpa_offset, size, fd_index,
/// type, flags, shadow_mem_fd_index, shadow_offset, datamatch. The spec's older 40-byte form has
/// padding where shadow_mem_fd_index is and no shadow_offset; <see cref="Decode"/> reads both.</summary>
public readonly record struct SubRegionIoEventFd(
    ulong Offset,
    ulong Size,
    uint FdIndex,
    IoFdType Type,
    IoEventFdFlags Flags,
    uint ShadowMemFdIndex,
    ulong ShadowOffset,
    ulong DataMatch) : IVfioUserPayload
{
    /// <summary>Bytes of the fixed-size struct on the wire, before any variable-length data.</summary>
    public const int Length = 48;
    /// <summary>Bytes of the spec's older entry form, which <see cref="Decode"/> also reads.</summary>
    public const int SpecLength = 40;

    /// <inheritdoc/>
    public int EncodedLength => Length;

    /// <inheritdoc/>
    public void Encode(Span<byte> destination)
    {
        var writer = new PayloadWriter(destination);
        writer.U64(Offset);
        writer.U64(Size);
        writer.U32(FdIndex);
        writer.U32((uint)Type);
        writer.U32((uint)Flags);
        writer.U32(ShadowMemFdIndex);
        writer.U64(ShadowOffset);
        writer.U64(DataMatch);
    }

    /// <summary>Reads one entry of <paramref name="stride"/> bytes (48, or the spec's 40).</summary>
    public static SubRegionIoEventFd Decode(ReadOnlySpan<byte> entry, int stride)
    {
        if (stride is not (Length or SpecLength) || entry.Length < stride)
        {
            throw new VfioUserException(Sys.Errno.EINVAL, $"io fd entry of {stride} bytes (have {entry.Length})");
        }
        var reader = new PayloadReader(entry[..stride]);
        ulong offset = reader.U64();
        ulong size = reader.U64();
        uint fdIndex = reader.U32();
        var type = (IoFdType)reader.U32();
        var flags = (IoEventFdFlags)reader.U32();
        uint shadowIndex = reader.U32();
        ulong shadowOffset = stride == Length ? reader.U64() : 0;
        ulong dataMatch = reader.U64();
        return new SubRegionIoEventFd(offset, size, fdIndex, type, flags, stride == Length ? shadowIndex : 0, shadowOffset, dataMatch);
    }
}
