using Vireo.TestSupport;

namespace Vireo.Virtio.Tests;

/// <summary>The socket device's packet header, configuration space, event and constants against
/// gcc's reading of linux/virtio_vsock.h.</summary>
public sealed class VirtioVsockLayoutTests
{
    private static readonly CStructLayout[] s_layouts =
    [
        CStructLayout.Of<VirtioVsockHeader>("struct virtio_vsock_hdr")
            .Field("src_cid", (ref VirtioVsockHeader h) => ref h.SourceCid)
            .Field("dst_cid", (ref VirtioVsockHeader h) => ref h.DestinationCid)
            .Field("src_port", (ref VirtioVsockHeader h) => ref h.SourcePort)
            .Field("dst_port", (ref VirtioVsockHeader h) => ref h.DestinationPort)
            .Field("len", (ref VirtioVsockHeader h) => ref h.Length)
            .Field("type", (ref VirtioVsockHeader h) => ref h.Type)
            .Field("op", (ref VirtioVsockHeader h) => ref h.Op)
            .Field("flags", (ref VirtioVsockHeader h) => ref h.Flags)
            .Field("buf_alloc", (ref VirtioVsockHeader h) => ref h.BufferAlloc)
            .Field("fwd_cnt", (ref VirtioVsockHeader h) => ref h.ForwardCount),
        CStructLayout.Of<VirtioVsockConfig>("struct virtio_vsock_config")
            .Field("guest_cid", (ref VirtioVsockConfig c) => ref c.GuestCid),
        CStructLayout.Of<VirtioVsockEvent>("struct virtio_vsock_event")
            .Field("id", (ref VirtioVsockEvent e) => ref e.Id),
    ];

    private static readonly (string Macro, ulong Value)[] s_constants =
    [
        ("VIRTIO_ID_VSOCK", VirtioVsock.SocketDeviceType),
        ("VIRTIO_VSOCK_F_SEQPACKET", Bit(VirtioVsock.FeatureSeqpacket)),
        ("VIRTIO_VSOCK_EVENT_TRANSPORT_RESET", VirtioVsockEvent.TransportReset),
        ("VIRTIO_VSOCK_TYPE_STREAM", VirtioVsock.TypeStream),
        ("VIRTIO_VSOCK_OP_INVALID", VirtioVsock.OpInvalid),
        ("VIRTIO_VSOCK_OP_REQUEST", VirtioVsock.OpRequest),
        ("VIRTIO_VSOCK_OP_RESPONSE", VirtioVsock.OpResponse),
        ("VIRTIO_VSOCK_OP_RST", VirtioVsock.OpReset),
        ("VIRTIO_VSOCK_OP_SHUTDOWN", VirtioVsock.OpShutdown),
        ("VIRTIO_VSOCK_OP_RW", VirtioVsock.OpReadWrite),
        ("VIRTIO_VSOCK_OP_CREDIT_UPDATE", VirtioVsock.OpCreditUpdate),
        ("VIRTIO_VSOCK_OP_CREDIT_REQUEST", VirtioVsock.OpCreditRequest),
        ("VIRTIO_VSOCK_SHUTDOWN_RCV", VirtioVsock.ShutdownReceive),
        ("VIRTIO_VSOCK_SHUTDOWN_SEND", VirtioVsock.ShutdownSend),
    ];

    private static readonly Lazy<CLayoutOracle> s_oracle = new(() => CLayoutOracle.Run(
        ["stdint.h", "linux/virtio_ids.h", "linux/virtio_vsock.h"], s_layouts, s_constants.Select(c => c.Macro)));

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
    public void Constant_matches_the_C_definition(string macro)
        => Assert.Equal(s_oracle.Value.Macro(macro), s_constants.Single(c => c.Macro == macro).Value);

    [Fact]
    public void Sizes_are_the_specs()
    {
        Assert.Equal(44, System.Runtime.CompilerServices.Unsafe.SizeOf<VirtioVsockHeader>());
        Assert.Equal(VirtioVsockHeader.Size, System.Runtime.CompilerServices.Unsafe.SizeOf<VirtioVsockHeader>());
        Assert.Equal(VirtioVsockConfig.Size, System.Runtime.CompilerServices.Unsafe.SizeOf<VirtioVsockConfig>());
        Assert.Equal(VirtioVsockEvent.Size, System.Runtime.CompilerServices.Unsafe.SizeOf<VirtioVsockEvent>());
    }
}
