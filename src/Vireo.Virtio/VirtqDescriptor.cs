using System.Runtime.InteropServices;

namespace Vireo.Virtio;

/// <summary>One entry of a split virtqueue's descriptor table, <c>struct virtq_desc</c>
/// (virtio 1.2 §2.7.5), 16 bytes, little-endian.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct VirtqDescriptor
{
    /// <summary>Size in guest memory.</summary>
    public const int Size = 16;

    /// <summary>VIRTQ_DESC_F_NEXT: the buffer continues via <see cref="Next"/>.</summary>
    public const ushort FlagNext = 1;
    /// <summary>VIRTQ_DESC_F_WRITE: the device writes this buffer (otherwise it reads it).</summary>
    public const ushort FlagWrite = 2;
    /// <summary>VIRTQ_DESC_F_INDIRECT: the buffer is a table of descriptors (§2.7.5.3).</summary>
    public const ushort FlagIndirect = 4;

    /// <summary>The buffer's guest-physical address.</summary>
    public ulong Address;
    /// <summary>The buffer's length in bytes.</summary>
    public uint Length;
    /// <summary><see cref="FlagNext"/>, <see cref="FlagWrite"/>, <see cref="FlagIndirect"/>.</summary>
    public ushort Flags;
    /// <summary>The next descriptor's index when <see cref="FlagNext"/> is set.</summary>
    public ushort Next;
}
