using System.Runtime.InteropServices;

namespace Vireo.Virtio;

/// <summary>The header before every packet in both directions, <c>struct virtio_net_hdr_v1</c>
/// (virtio 1.2 §5.1.6): offload details, and on receive how many buffers the packet spans. Its
/// size is the same whether or not VIRTIO_NET_F_MRG_RXBUF was negotiated (a VERSION_1 device);
/// the layout tests pin it to linux/virtio_net.h.</summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct VirtioNetHeader
{
    /// <summary>The header's size in bytes.</summary>
    public const int Size = 12;

    /// <summary>Offset of <see cref="NumBuffers"/>.</summary>
    public const int NumBuffersOffset = 10;

    /// <summary>VIRTIO_NET_HDR_F_NEEDS_CSUM: the checksum from csum_start is still to be computed.</summary>
    public const byte FlagNeedsChecksum = 1;
    /// <summary>VIRTIO_NET_HDR_F_DATA_VALID: the receive checksum was validated (needs GUEST_CSUM).</summary>
    public const byte FlagDataValid = 2;
    /// <summary>VIRTIO_NET_HDR_F_RSC_INFO: csum fields carry coalescing counts (needs RSC_EXT, never offered).</summary>
    public const byte FlagRscInfo = 4;

    /// <summary>VIRTIO_NET_HDR_GSO_NONE: not a segmentation offload packet.</summary>
    public const byte GsoNone = 0;
    /// <summary>VIRTIO_NET_HDR_GSO_TCPV4: IPv4 TCP segmentation.</summary>
    public const byte GsoTcpV4 = 1;
    /// <summary>VIRTIO_NET_HDR_GSO_UDP: IPv4 UDP fragmentation.</summary>
    public const byte GsoUdp = 3;
    /// <summary>VIRTIO_NET_HDR_GSO_TCPV6: IPv6 TCP segmentation.</summary>
    public const byte GsoTcpV6 = 4;
    /// <summary>VIRTIO_NET_HDR_GSO_ECN: a bit on the type; the TCP segments carry ECN.</summary>
    public const byte GsoEcn = 0x80;

    /// <summary>flags: <see cref="FlagNeedsChecksum"/>, <see cref="FlagDataValid"/>.</summary>
    [FieldOffset(0)] public byte Flags;
    /// <summary>gso_type: one of the GSO values, with <see cref="GsoEcn"/> possibly set.</summary>
    [FieldOffset(1)] public byte GsoType;
    /// <summary>hdr_len: the length of the headers to repeat in each segment.</summary>
    [FieldOffset(2)] public ushort HeaderLength;
    /// <summary>gso_size: the payload per segment.</summary>
    [FieldOffset(4)] public ushort GsoSize;
    /// <summary>csum_start: where checksumming starts.</summary>
    [FieldOffset(6)] public ushort ChecksumStart;
    /// <summary>csum_offset: where, after csum_start, the checksum goes.</summary>
    [FieldOffset(8)] public ushort ChecksumOffset;
    /// <summary>num_buffers: the receive buffers (chains) the packet spans; 1 without MRG_RXBUF.</summary>
    [FieldOffset(NumBuffersOffset)] public ushort NumBuffers;
}
