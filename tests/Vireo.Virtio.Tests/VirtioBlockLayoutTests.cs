using Vireo.TestSupport;

namespace Vireo.Virtio.Tests;

/// <summary>The block device's structs and constants against gcc's reading of linux/virtio_blk.h.</summary>
public sealed class VirtioBlockLayoutTests
{
    private static readonly CStructLayout[] s_layouts =
    [
        CStructLayout.Of<VirtioBlockConfig>("struct virtio_blk_config")
            .Field("capacity", (ref VirtioBlockConfig c) => ref c.Capacity)
            .Field("size_max", (ref VirtioBlockConfig c) => ref c.SizeMax)
            .Field("seg_max", (ref VirtioBlockConfig c) => ref c.SegMax)
            .Field("geometry.cylinders", (ref VirtioBlockConfig c) => ref c.Cylinders)
            .Field("geometry.heads", (ref VirtioBlockConfig c) => ref c.Heads)
            .Field("geometry.sectors", (ref VirtioBlockConfig c) => ref c.SectorsPerTrack)
            .Field("blk_size", (ref VirtioBlockConfig c) => ref c.BlockSize)
            .Field("physical_block_exp", (ref VirtioBlockConfig c) => ref c.PhysicalBlockExponent)
            .Field("alignment_offset", (ref VirtioBlockConfig c) => ref c.AlignmentOffset)
            .Field("min_io_size", (ref VirtioBlockConfig c) => ref c.MinIoSize)
            .Field("opt_io_size", (ref VirtioBlockConfig c) => ref c.OptIoSize)
            .Field("wce", (ref VirtioBlockConfig c) => ref c.Writeback)
            .Field("num_queues", (ref VirtioBlockConfig c) => ref c.NumQueues)
            .Field("max_discard_sectors", (ref VirtioBlockConfig c) => ref c.MaxDiscardSectors)
            .Field("max_discard_seg", (ref VirtioBlockConfig c) => ref c.MaxDiscardSegments)
            .Field("discard_sector_alignment", (ref VirtioBlockConfig c) => ref c.DiscardSectorAlignment)
            .Field("max_write_zeroes_sectors", (ref VirtioBlockConfig c) => ref c.MaxWriteZeroesSectors)
            .Field("max_write_zeroes_seg", (ref VirtioBlockConfig c) => ref c.MaxWriteZeroesSegments)
            .Field("write_zeroes_may_unmap", (ref VirtioBlockConfig c) => ref c.WriteZeroesMayUnmap)
            .Field("max_secure_erase_sectors", (ref VirtioBlockConfig c) => ref c.MaxSecureEraseSectors)
            .Field("max_secure_erase_seg", (ref VirtioBlockConfig c) => ref c.MaxSecureEraseSegments)
            .Field("secure_erase_sector_alignment", (ref VirtioBlockConfig c) => ref c.SecureEraseSectorAlignment),
        CStructLayout.Of<VirtioBlockRequestHeader>("struct virtio_blk_outhdr")
            .Field("type", (ref VirtioBlockRequestHeader h) => ref h.Type)
            .Field("ioprio", (ref VirtioBlockRequestHeader h) => ref h.Reserved)
            .Field("sector", (ref VirtioBlockRequestHeader h) => ref h.Sector),
        CStructLayout.Of<VirtioBlockDiscardSegment>("struct virtio_blk_discard_write_zeroes")
            .Field("sector", (ref VirtioBlockDiscardSegment s) => ref s.Sector)
            .Field("num_sectors", (ref VirtioBlockDiscardSegment s) => ref s.SectorCount)
            .Field("flags", (ref VirtioBlockDiscardSegment s) => ref s.Flags),
    ];

    private static readonly (string Macro, ulong Value)[] s_constants =
    [
        ("VIRTIO_ID_BLOCK", VirtioBlock.BlockDeviceType),
        ("VIRTIO_BLK_F_SEG_MAX", Bit(VirtioBlock.FeatureSegMax)),
        ("VIRTIO_BLK_F_RO", Bit(VirtioBlock.FeatureReadOnly)),
        ("VIRTIO_BLK_F_BLK_SIZE", Bit(VirtioBlock.FeatureBlockSize)),
        ("VIRTIO_BLK_F_FLUSH", Bit(VirtioBlock.FeatureFlush)),
        ("VIRTIO_BLK_F_DISCARD", Bit(VirtioBlock.FeatureDiscard)),
        ("VIRTIO_BLK_F_WRITE_ZEROES", Bit(VirtioBlock.FeatureWriteZeroes)),
        ("VIRTIO_BLK_T_IN", VirtioBlock.RequestIn),
        ("VIRTIO_BLK_T_OUT", VirtioBlock.RequestOut),
        ("VIRTIO_BLK_T_FLUSH", VirtioBlock.RequestFlush),
        ("VIRTIO_BLK_T_GET_ID", VirtioBlock.RequestGetId),
        ("VIRTIO_BLK_T_DISCARD", VirtioBlock.RequestDiscard),
        ("VIRTIO_BLK_T_WRITE_ZEROES", VirtioBlock.RequestWriteZeroes),
        ("VIRTIO_BLK_S_OK", VirtioBlock.StatusOk),
        ("VIRTIO_BLK_S_IOERR", VirtioBlock.StatusIoError),
        ("VIRTIO_BLK_S_UNSUPP", VirtioBlock.StatusUnsupported),
        ("VIRTIO_BLK_ID_BYTES", VirtioBlock.IdLength),
        ("VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP", VirtioBlockDiscardSegment.FlagUnmap),
    ];

    private static readonly Lazy<CLayoutOracle> s_oracle = new(() => CLayoutOracle.Run(
        ["stdint.h", "linux/virtio_ids.h", "linux/virtio_blk.h"], s_layouts, s_constants.Select(c => c.Macro)));

    // Feature constants are masks; the header names bit numbers.
    private static ulong Bit(ulong mask) => (ulong)System.Numerics.BitOperations.TrailingZeroCount(mask);

    public static TheoryData<string> Names() => new(s_layouts.Select(l => l.CType));

    public static TheoryData<string> Macros() => new(s_constants.Select(c => c.Macro));

    [GccTheory]
    [MemberData(nameof(Names))]
    public void Struct_matches_the_C_layout(string cType)
    {
        IReadOnlyList<string> problems = s_oracle.Value.Compare(s_layouts.Single(l => l.CType == cType));

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [GccTheory]
    [MemberData(nameof(Macros))]
    public void Constant_matches_the_C_macro(string macro)
        => Assert.Equal(s_oracle.Value.Macro(macro), s_constants.Single(c => c.Macro == macro).Value);

    [Fact]
    public void Sizes_are_the_specs()
    {
        Assert.Equal(VirtioBlockConfig.Size, System.Runtime.CompilerServices.Unsafe.SizeOf<VirtioBlockConfig>());
        Assert.Equal(VirtioBlockRequestHeader.Size, System.Runtime.CompilerServices.Unsafe.SizeOf<VirtioBlockRequestHeader>());
        Assert.Equal(VirtioBlockDiscardSegment.Size, System.Runtime.CompilerServices.Unsafe.SizeOf<VirtioBlockDiscardSegment>());
    }
}
