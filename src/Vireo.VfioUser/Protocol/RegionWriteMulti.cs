namespace Vireo.VfioUser;

/// <summary>REGION_WRITE_MULTI (vfio-user.rst, command 15): u64 wr_cnt, then wr_cnt entries of
/// {u64 offset, u32 region, u32 count, u8 data[8]}. The reply is the u64 count alone.</summary>
public readonly record struct RegionWriteMulti(IReadOnlyList<RegionWriteEntry> Writes) : IVfioUserPayload
{
    /// <summary>Bytes of one write entry on the wire.</summary>
    public const int EntryLength = 24;
    /// <summary>The most bytes one entry writes.</summary>
    public const int MaxEntryData = 8;

    // vfio-user.rst: VFIO_USER_MULTI_MAX 200 writes per message.
    /// <summary>The most entries in one message.</summary>
    public const int MaxWrites = 200;

    /// <inheritdoc/>
    public int EncodedLength => 8 + (Writes.Count * EntryLength);

    /// <inheritdoc/>
    public void Encode(Span<byte> destination)
    {
        var writer = new PayloadWriter(destination);
        writer.U64((ulong)Writes.Count);
        foreach (RegionWriteEntry entry in Writes)
        {
            writer.U64(entry.Offset);
            writer.U32(entry.Region);
            writer.U32(entry.Count);
            writer.U64(entry.Data);
        }
    }

    /// <summary>Parses a received RegionWriteMulti.</summary>
    /// <param name="payload">The message payload.</param>
    /// <exception cref="VfioUserException">The payload is too short or its fields are inconsistent (EINVAL).</exception>
    public static RegionWriteMulti Decode(ReadOnlySpan<byte> payload)
    {
        var reader = new PayloadReader(payload);
        ulong count = reader.U64();
        if (count == 0 || count > MaxWrites || count * EntryLength != (ulong)reader.Remaining)
        {
            throw new VfioUserException(Sys.Errno.EINVAL, $"REGION_WRITE_MULTI count {count} does not fit the payload");
        }
        var writes = new RegionWriteEntry[count];
        for (int i = 0; i < writes.Length; i++)
        {
            writes[i] = new RegionWriteEntry(reader.U64(), reader.U32(), reader.U32(), reader.U64());
            if (writes[i].Count is 0 or > MaxEntryData)
            {
                throw new VfioUserException(Sys.Errno.EINVAL, $"REGION_WRITE_MULTI entry count {writes[i].Count}");
            }
        }
        return new RegionWriteMulti(writes);
    }

    /// <summary>The reply payload: the u64 count of writes done.</summary>
    public static byte[] EncodeReply(ulong count)
    {
        byte[] reply = new byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(reply, count);
        return reply;
    }
}
