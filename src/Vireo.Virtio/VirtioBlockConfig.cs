using System.Runtime.InteropServices;

namespace Vireo.Virtio;

/// <summary>The block device's configuration space, <c>struct virtio_blk_config</c> (virtio 1.2
/// §5.2.4), little-endian and packed; the layout tests pin it to linux/virtio_blk.h. A field is
/// meaningful to the driver only when the feature guarding it was offered.</summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct VirtioBlockConfig
{
    /// <summary>The structure's size up to and including the secure-erase fields.</summary>
    public const int Size = 72;

    /// <summary>capacity: the disk's size in 512-byte sectors (always valid).</summary>
    [FieldOffset(0)] public ulong Capacity;
    /// <summary>size_max: the largest segment in bytes (VIRTIO_BLK_F_SIZE_MAX).</summary>
    [FieldOffset(8)] public uint SizeMax;
    /// <summary>seg_max: the most data segments in one request (VIRTIO_BLK_F_SEG_MAX).</summary>
    [FieldOffset(12)] public uint SegMax;
    /// <summary>geometry.cylinders (VIRTIO_BLK_F_GEOMETRY).</summary>
    [FieldOffset(16)] public ushort Cylinders;
    /// <summary>geometry.heads (VIRTIO_BLK_F_GEOMETRY).</summary>
    [FieldOffset(18)] public byte Heads;
    /// <summary>geometry.sectors (VIRTIO_BLK_F_GEOMETRY).</summary>
    [FieldOffset(19)] public byte SectorsPerTrack;
    /// <summary>blk_size: the logical block size in bytes (VIRTIO_BLK_F_BLK_SIZE).</summary>
    [FieldOffset(20)] public uint BlockSize;
    /// <summary>physical_block_exp: log2 of physical blocks per logical block (VIRTIO_BLK_F_TOPOLOGY).</summary>
    [FieldOffset(24)] public byte PhysicalBlockExponent;
    /// <summary>alignment_offset in logical blocks (VIRTIO_BLK_F_TOPOLOGY).</summary>
    [FieldOffset(25)] public byte AlignmentOffset;
    /// <summary>min_io_size in logical blocks (VIRTIO_BLK_F_TOPOLOGY).</summary>
    [FieldOffset(26)] public ushort MinIoSize;
    /// <summary>opt_io_size in logical blocks (VIRTIO_BLK_F_TOPOLOGY).</summary>
    [FieldOffset(28)] public uint OptIoSize;
    /// <summary>writeback: the cache mode (VIRTIO_BLK_F_CONFIG_WCE).</summary>
    [FieldOffset(32)] public byte Writeback;
    /// <summary>num_queues (VIRTIO_BLK_F_MQ).</summary>
    [FieldOffset(34)] public ushort NumQueues;
    /// <summary>max_discard_sectors: the most sectors one discard segment may cover (VIRTIO_BLK_F_DISCARD).</summary>
    [FieldOffset(36)] public uint MaxDiscardSectors;
    /// <summary>max_discard_seg: the most segments in one discard request (VIRTIO_BLK_F_DISCARD).</summary>
    [FieldOffset(40)] public uint MaxDiscardSegments;
    /// <summary>discard_sector_alignment: the granularity, in sectors, in which to split discards (VIRTIO_BLK_F_DISCARD).</summary>
    [FieldOffset(44)] public uint DiscardSectorAlignment;
    /// <summary>max_write_zeroes_sectors: the most sectors one write-zeroes segment may cover (VIRTIO_BLK_F_WRITE_ZEROES).</summary>
    [FieldOffset(48)] public uint MaxWriteZeroesSectors;
    /// <summary>max_write_zeroes_seg: the most segments in one write-zeroes request (VIRTIO_BLK_F_WRITE_ZEROES).</summary>
    [FieldOffset(52)] public uint MaxWriteZeroesSegments;
    /// <summary>write_zeroes_may_unmap: 1 when a write zeroes with UNMAP may deallocate (VIRTIO_BLK_F_WRITE_ZEROES).</summary>
    [FieldOffset(56)] public byte WriteZeroesMayUnmap;
    /// <summary>max_secure_erase_sectors (VIRTIO_BLK_F_SECURE_ERASE).</summary>
    [FieldOffset(60)] public uint MaxSecureEraseSectors;
    /// <summary>max_secure_erase_seg (VIRTIO_BLK_F_SECURE_ERASE).</summary>
    [FieldOffset(64)] public uint MaxSecureEraseSegments;
    /// <summary>secure_erase_sector_alignment (VIRTIO_BLK_F_SECURE_ERASE).</summary>
    [FieldOffset(68)] public uint SecureEraseSectorAlignment;
}
