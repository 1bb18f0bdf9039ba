using System.Runtime.InteropServices;

namespace Vireo.Virtio;

/// <summary>One entry of a split virtqueue's used ring, <c>struct virtq_used_elem</c>
/// (virtio 1.2 §2.7.8), 8 bytes, little-endian.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct VirtqUsedElement
{
    /// <summary>Size in guest memory.</summary>
    public const int Size = 8;

    /// <summary>The head descriptor index of the chain handed back.</summary>
    public uint Id;
    /// <summary>The bytes the device wrote into the chain's writable buffers.</summary>
    public uint Length;
}
