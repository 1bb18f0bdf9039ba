namespace Vireo.VfioUser;

/// <summary>struct vfio_user_mig_data for MIG_DATA_READ / MIG_DATA_WRITE (vfio-user.rst):
/// argsz, size, data. A read request has no data and argsz covering the data it asks for.</summary>
public readonly record struct MigData(uint Argsz, uint Size, ReadOnlyMemory<byte> Data) : IVfioUserPayload
{
    /// <summary>Bytes of the fixed-size struct on the wire, before any variable-length data.</summary>
    public const int Length = 8;

    /// <summary>A MIG_DATA_READ request for up to <paramref name="size"/> bytes.</summary>
    public static MigData ReadRequest(uint size) => new(Length + size, size, ReadOnlyMemory<byte>.Empty);

    /// <summary>A MIG_DATA_WRITE request carrying <paramref name="data"/>.</summary>
    public static MigData Write(ReadOnlyMemory<byte> data) => new((uint)(Length + data.Length), (uint)data.Length, data);

    /// <inheritdoc/>
    public int EncodedLength => Length + Data.Length;

    /// <inheritdoc/>
    public void Encode(Span<byte> destination)
    {
        var writer = new PayloadWriter(destination);
        writer.U32(Argsz);
        writer.U32(Size);
        writer.Bytes(Data.Span);
    }

    /// <summary>Parses a received MigData.</summary>
    /// <param name="payload">The message payload.</param>
    /// <exception cref="VfioUserException">The payload is too short or its fields are inconsistent (EINVAL).</exception>
    public static MigData Decode(ReadOnlySpan<byte> payload)
    {
        var reader = new PayloadReader(payload);
        uint argsz = reader.U32();
        uint size = reader.U32();
        return new MigData(argsz, size, reader.Rest().ToArray());
    }
}
