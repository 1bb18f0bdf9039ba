namespace Vireo.Sys;

/// <summary>The TUNSETOFFLOAD bits (linux/if_tun.h TUN_F_*): what the reader of a tap can take in
/// the frames it reads, which the kernel then leaves unchecksummed or unsegmented and describes in
/// the frame's virtio-net header.</summary>
[Flags]
public enum TunOffloads : uint
{
    /// <summary>Only complete, checksummed frames.</summary>
    None = 0,

    /// <summary>TUN_F_CSUM: frames with a partial checksum (VIRTIO_NET_HDR_F_NEEDS_CSUM).</summary>
    Checksum = 0x01,

    /// <summary>TUN_F_TSO4: IPv4 TCP frames larger than the MTU (needs <see cref="Checksum"/>).</summary>
    Tso4 = 0x02,

    /// <summary>TUN_F_TSO6: IPv6 TCP frames larger than the MTU (needs <see cref="Checksum"/>).</summary>
    Tso6 = 0x04,

    /// <summary>TUN_F_TSO_ECN: TSO frames with the ECN (CWR) bit set.</summary>
    TsoEcn = 0x08,

    /// <summary>TUN_F_UFO: UDP frames larger than the MTU, to be fragmented.</summary>
    Ufo = 0x10,
}
