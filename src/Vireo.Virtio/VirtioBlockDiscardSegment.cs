using System.Runtime.InteropServices;

namespace Vireo.Virtio;

/// <summary>One range of a discard or write-zeroes request, <c>struct
/// virtio_blk_discard_write_zeroes</c> (virtio 1.2 §5.2.6), 16 bytes, little-endian.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct VirtioBlockDiscardSegment
{
    /// <summary>Size in guest memory.</summary>
    public const int Size = 16;

    /// <summary>VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP: a write zeroes may deallocate the range.</summary>
    public const uint FlagUnmap = 1;

    /// <summary>sector: the range's first 512-byte sector.</summary>
    public ulong Sector;
    /// <summary>num_sectors: the range's length in sectors.</summary>
    public uint SectorCount;
    /// <summary>flags: <see cref="FlagUnmap"/>; other bits are unknown.</summary>
    public uint Flags;
}
