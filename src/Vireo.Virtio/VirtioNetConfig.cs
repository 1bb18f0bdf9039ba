using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Vireo.Virtio;

/// <summary>The network device's configuration space, <c>struct virtio_net_config</c> (virtio 1.2
/// §5.1.4), little-endian and packed; the layout tests pin it to linux/virtio_net.h. A field is
/// meaningful to the driver only when the feature guarding it was offered.</summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct VirtioNetConfig
{
    /// <summary>The structure's size up to and including supported_hash_types.</summary>
    public const int Size = 24;

    /// <summary>mac: the device's MAC address (VIRTIO_NET_F_MAC).</summary>
    [FieldOffset(0)] public MacBytes Mac;
    /// <summary>status: VIRTIO_NET_S_LINK_UP, VIRTIO_NET_S_ANNOUNCE (VIRTIO_NET_F_STATUS).</summary>
    [FieldOffset(6)] public ushort Status;
    /// <summary>max_virtqueue_pairs: receive/transmit queue pairs (VIRTIO_NET_F_MQ).</summary>
    [FieldOffset(8)] public ushort MaxVirtqueuePairs;
    /// <summary>mtu: the largest MTU the driver should use (VIRTIO_NET_F_MTU).</summary>
    [FieldOffset(10)] public ushort Mtu;
    /// <summary>speed in Mb/s; above INT_MAX means unknown (VIRTIO_NET_F_SPEED_DUPLEX).</summary>
    [FieldOffset(12)] public uint Speed;
    /// <summary>duplex: 0 half, 1 full, anything else unknown (VIRTIO_NET_F_SPEED_DUPLEX).</summary>
    [FieldOffset(16)] public byte Duplex;
    /// <summary>rss_max_key_size (VIRTIO_NET_F_RSS, VIRTIO_NET_F_HASH_REPORT).</summary>
    [FieldOffset(17)] public byte RssMaxKeySize;
    /// <summary>rss_max_indirection_table_length (VIRTIO_NET_F_RSS).</summary>
    [FieldOffset(18)] public ushort RssMaxIndirectionTableLength;
    /// <summary>supported_hash_types (VIRTIO_NET_F_RSS, VIRTIO_NET_F_HASH_REPORT).</summary>
    [FieldOffset(20)] public uint SupportedHashTypes;

    /// <summary>The six bytes of a MAC address, in wire order.</summary>
    [InlineArray(6)]
    public struct MacBytes
    {
        private byte _element;
    }
}
