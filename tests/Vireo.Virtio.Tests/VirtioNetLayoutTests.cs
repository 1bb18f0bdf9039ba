using Vireo.TestSupport;

namespace Vireo.Virtio.Tests;

/// <summary>The network device's configuration space, packet header and constants against gcc's
/// reading of linux/virtio_net.h.</summary>
public sealed class VirtioNetLayoutTests
{
    private static readonly CStructLayout[] s_layouts =
    [
        CStructLayout.Of<VirtioNetConfig>("struct virtio_net_config")
            .Field("mac", (ref VirtioNetConfig c) => ref c.Mac)
            .Field("status", (ref VirtioNetConfig c) => ref c.Status)
            .Field("max_virtqueue_pairs", (ref VirtioNetConfig c) => ref c.MaxVirtqueuePairs)
            .Field("mtu", (ref VirtioNetConfig c) => ref c.Mtu)
            .Field("speed", (ref VirtioNetConfig c) => ref c.Speed)
            .Field("duplex", (ref VirtioNetConfig c) => ref c.Duplex)
            .Field("rss_max_key_size", (ref VirtioNetConfig c) => ref c.RssMaxKeySize)
            .Field("rss_max_indirection_table_length", (ref VirtioNetConfig c) => ref c.RssMaxIndirectionTableLength)
            .Field("supported_hash_types", (ref VirtioNetConfig c) => ref c.SupportedHashTypes),
        CStructLayout.Of<VirtioNetHeader>("struct virtio_net_hdr_v1")
            .Field("flags", (ref VirtioNetHeader h) => ref h.Flags)
            .Field("gso_type", (ref VirtioNetHeader h) => ref h.GsoType)
            .Field("hdr_len", (ref VirtioNetHeader h) => ref h.HeaderLength)
            .Field("gso_size", (ref VirtioNetHeader h) => ref h.GsoSize)
            .Field("csum_start", (ref VirtioNetHeader h) => ref h.ChecksumStart)
            .Field("csum_offset", (ref VirtioNetHeader h) => ref h.ChecksumOffset)
            .Field("num_buffers", (ref VirtioNetHeader h) => ref h.NumBuffers),
    ];

    private static readonly (string Macro, ulong Value)[] s_constants =
    [
        ("VIRTIO_ID_NET", VirtioNet.NetworkDeviceType),
        ("VIRTIO_NET_F_CSUM", Bit(VirtioNet.FeatureChecksum)),
        ("VIRTIO_NET_F_GUEST_CSUM", Bit(VirtioNet.FeatureGuestChecksum)),
        ("VIRTIO_NET_F_MTU", Bit(VirtioNet.FeatureMtu)),
        ("VIRTIO_NET_F_MAC", Bit(VirtioNet.FeatureMac)),
        ("VIRTIO_NET_F_GUEST_TSO4", Bit(VirtioNet.FeatureGuestTso4)),
        ("VIRTIO_NET_F_GUEST_TSO6", Bit(VirtioNet.FeatureGuestTso6)),
        ("VIRTIO_NET_F_GUEST_ECN", Bit(VirtioNet.FeatureGuestEcn)),
        ("VIRTIO_NET_F_GUEST_UFO", Bit(VirtioNet.FeatureGuestUfo)),
        ("VIRTIO_NET_F_HOST_TSO4", Bit(VirtioNet.FeatureHostTso4)),
        ("VIRTIO_NET_F_HOST_TSO6", Bit(VirtioNet.FeatureHostTso6)),
        ("VIRTIO_NET_F_HOST_ECN", Bit(VirtioNet.FeatureHostEcn)),
        ("VIRTIO_NET_F_HOST_UFO", Bit(VirtioNet.FeatureHostUfo)),
        ("VIRTIO_NET_F_MRG_RXBUF", Bit(VirtioNet.FeatureMergeRxBuffers)),
        ("VIRTIO_NET_F_STATUS", Bit(VirtioNet.FeatureStatus)),
        ("VIRTIO_NET_S_LINK_UP", VirtioNet.StatusLinkUp),
        ("VIRTIO_NET_HDR_F_NEEDS_CSUM", VirtioNetHeader.FlagNeedsChecksum),
        ("VIRTIO_NET_HDR_F_DATA_VALID", VirtioNetHeader.FlagDataValid),
        ("VIRTIO_NET_HDR_F_RSC_INFO", VirtioNetHeader.FlagRscInfo),
        ("VIRTIO_NET_HDR_GSO_NONE", VirtioNetHeader.GsoNone),
        ("VIRTIO_NET_HDR_GSO_TCPV4", VirtioNetHeader.GsoTcpV4),
        ("VIRTIO_NET_HDR_GSO_UDP", VirtioNetHeader.GsoUdp),
        ("VIRTIO_NET_HDR_GSO_TCPV6", VirtioNetHeader.GsoTcpV6),
        ("VIRTIO_NET_HDR_GSO_ECN", VirtioNetHeader.GsoEcn),
    ];

    private static readonly Lazy<CLayoutOracle> s_oracle = new(() => CLayoutOracle.Run(
        ["stdint.h", "linux/virtio_ids.h", "linux/virtio_net.h"], s_layouts, s_constants.Select(c => c.Macro)));

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
        Assert.Equal(VirtioNetConfig.Size, System.Runtime.CompilerServices.Unsafe.SizeOf<VirtioNetConfig>());
        Assert.Equal(VirtioNetHeader.Size, System.Runtime.CompilerServices.Unsafe.SizeOf<VirtioNetHeader>());
        Assert.Equal(Sys.TapDevice.VnetHeaderSize, VirtioNetHeader.Size);
    }
}
