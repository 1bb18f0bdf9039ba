namespace Vireo.VfioUser;

/// <summary>struct vfio_user_mig_data for MIG_DATA_READ / MIG_DATA_WRITE (vfio-user.rst):
/// argsz, size, data. A read request has no data and argsz covering the data it asks for.</summary>
public readonly record struct MigData(uint Argsz, uint Size, ReadOnlyMemory<byte> Data) : IVfioUserPayload
{
    public const int Length = 8;

    public static MigData ReadRequest(uint size) => new(Length + size, size, ReadOnlyMemory<byte>.Empty);

    public static MigData Write(ReadOnlyMemory<byte> data) => new((uint)(Length + data.Length), (uint)data.Length, data);

    public int EncodedLength => Length + Data.Length;

    public void Encode(Span<byte> destination)
    {
        var writer = new PayloadWriter(destination);
        writer.U32(Argsz);
        writer.U32(Size);
        writer.Bytes(Data.Span);
    }

    public static MigData Decode(ReadOnlySpan<byte> payload)
    {
        var reader = new PayloadReader(payload);
        uint argsz = reader.U32();
        uint size = reader.U32();
        return new MigData(argsz, size, reader.Rest().ToArray());
    }
}
