namespace Vireo.VfioUser;

/// <summary>struct vfio_region_info (linux/vfio.h; vfio-user.rst "VFIO_USER_DEVICE_GET_REGION_INFO"):
/// 32 bytes, then the capability chain. The reply's argsz is the size the full answer needs,
/// which may exceed what was sent back when the request's argsz was smaller.</summary>
public readonly record struct RegionInfo(
    uint Argsz,
    RegionInfoFlags Flags,
    uint Index,
    uint CapOffset,
    ulong Size,
    ulong Offset,
    IReadOnlyList<SparseMmapArea>? SparseAreas) : IVfioUserPayload
{
    /// <summary>Bytes of the fixed-size struct on the wire, before any variable-length data.</summary>
    public const int Length = 32;

    // linux/vfio.h: VFIO_REGION_INFO_CAP_SPARSE_MMAP id 1 version 1; cap header {u16 id,
    // u16 version, u32 next}, then u32 nr_areas, u32 reserved, areas of 16 bytes.
    /// <summary>VFIO_REGION_INFO_CAP_SPARSE_MMAP, the capability that lists the mmappable areas (linux/vfio.h).</summary>
    public const ushort SparseMmapCapId = 1;
    private const ushort SparseMmapCapVersion = 1;
    private const int CapHeaderLength = 8;
    private const int SparseFixedLength = CapHeaderLength + 8;
    private const int AreaLength = 16;
    private const int MaxCapabilities = 64;

    /// <summary>The DEVICE_GET_REGION_INFO request for <paramref name="index"/>, room for <paramref name="argsz"/> bytes of answer.</summary>
    public static RegionInfo Request(uint index, uint argsz = Length) => new(argsz, RegionInfoFlags.None, index, 0, 0, 0, null);

    /// <summary>Bytes of a sparse-mmap capability with <paramref name="areas"/> areas.</summary>
    public static int SparseCapabilityLength(int areas) => SparseFixedLength + (areas * AreaLength);

    /// <inheritdoc/>
    public int EncodedLength => Length + (SparseAreas is null ? 0 : SparseCapabilityLength(SparseAreas.Count));

    /// <inheritdoc/>
    public void Encode(Span<byte> destination)
    {
        var writer = new PayloadWriter(destination);
        writer.U32(Argsz);
        writer.U32((uint)Flags);
        writer.U32(Index);
        writer.U32(CapOffset);
        writer.U64(Size);
        writer.U64(Offset);
        if (SparseAreas is not null)
        {
            writer.U16(SparseMmapCapId);
            writer.U16(SparseMmapCapVersion);
            writer.U32(0);
            writer.U32((uint)SparseAreas.Count);
            writer.U32(0);
            foreach (SparseMmapArea area in SparseAreas)
            {
                writer.U64(area.Offset);
                writer.U64(area.Size);
            }
        }
    }

    /// <summary>Parses a received RegionInfo.</summary>
    /// <param name="payload">The message payload.</param>
    /// <exception cref="VfioUserException">The payload is too short or its fields are inconsistent (EINVAL).</exception>
    public static RegionInfo Decode(ReadOnlySpan<byte> payload)
    {
        var reader = new PayloadReader(payload);
        uint argsz = reader.U32();
        var flags = (RegionInfoFlags)reader.U32();
        uint index = reader.U32();
        uint capOffset = reader.U32();
        ulong size = reader.U64();
        ulong offset = reader.U64();
        List<SparseMmapArea>? areas = null;
        if ((flags & RegionInfoFlags.Caps) != 0 && capOffset != 0)
        {
            areas = DecodeSparseAreas(payload, capOffset);
        }
        return new RegionInfo(argsz, flags, index, capOffset, size, offset, areas);
    }

    private static List<SparseMmapArea>? DecodeSparseAreas(ReadOnlySpan<byte> payload, uint capOffset)
    {
        uint next = capOffset;
        // Offsets count from the start of the struct; a chain longer than MaxCapabilities or one
        // that points backwards is malformed (a loop would otherwise never end).
        for (int i = 0; i < MaxCapabilities && next != 0; i++)
        {
            if (next < Length || next > payload.Length - CapHeaderLength)
            {
                throw new VfioUserException(Sys.Errno.EINVAL, $"region capability offset {next} outside the reply");
            }
            var reader = new PayloadReader(payload[(int)next..]);
            ushort id = reader.U16();
            ushort version = reader.U16();
            uint following = reader.U32();
            if (id == SparseMmapCapId && version == SparseMmapCapVersion)
            {
                uint count = reader.U32();
                reader.U32();
                if (count > (uint)(reader.Remaining / AreaLength))
                {
                    throw new VfioUserException(Sys.Errno.EINVAL, $"sparse mmap capability claims {count} areas");
                }
                var areas = new List<SparseMmapArea>((int)count);
                for (uint a = 0; a < count; a++)
                {
                    areas.Add(new SparseMmapArea(reader.U64(), reader.U64()));
                }
                return areas;
            }
            if (following != 0 && following <= next)
            {
                throw new VfioUserException(Sys.Errno.EINVAL, "region capability chain does not move forward");
            }
            next = following;
        }
        return null;
    }
}
