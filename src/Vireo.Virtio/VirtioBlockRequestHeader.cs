using System.Runtime.InteropServices;

namespace Vireo.Virtio;

/// <summary>The device-readable header that starts every block request, <c>struct
/// virtio_blk_req</c>'s first three fields (virtio 1.2 §5.2.6; Linux's <c>struct
/// virtio_blk_outhdr</c>), 16 bytes, little-endian.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct VirtioBlockRequestHeader
{
    /// <summary>Size in guest memory.</summary>
    public const int Size = 16;

    /// <summary>type: VIRTIO_BLK_T_* (<see cref="VirtioBlock.RequestIn"/> and the others).</summary>
    public uint Type;
    /// <summary>reserved (ioprio in legacy devices); ignored.</summary>
    public uint Reserved;
    /// <summary>sector: the first 512-byte sector of a read or write.</summary>
    public ulong Sector;
}
