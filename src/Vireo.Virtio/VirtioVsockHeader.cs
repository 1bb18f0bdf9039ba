using System.Runtime.InteropServices;

namespace Vireo.Virtio;

/// <summary>The header of every socket device packet, <c>struct virtio_vsock_hdr</c> (virtio 1.2
/// §5.10.6), little-endian and packed; the layout tests pin it to linux/virtio_vsock.h. A packet
/// is this header followed by <see cref="Length"/> payload bytes (only an
/// <see cref="VirtioVsock.OpReadWrite"/> packet carries any).</summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct VirtioVsockHeader
{
    /// <summary>The structure's size.</summary>
    public const int Size = 44;

    /// <summary>src_cid: the sender's context ID.</summary>
    [FieldOffset(0)] public ulong SourceCid;
    /// <summary>dst_cid: the receiver's context ID.</summary>
    [FieldOffset(8)] public ulong DestinationCid;
    /// <summary>src_port: the sender's port.</summary>
    [FieldOffset(16)] public uint SourcePort;
    /// <summary>dst_port: the receiver's port.</summary>
    [FieldOffset(20)] public uint DestinationPort;
    /// <summary>len: the payload's length in bytes.</summary>
    [FieldOffset(24)] public uint Length;
    /// <summary>type: <see cref="VirtioVsock.TypeStream"/> or SEQPACKET.</summary>
    [FieldOffset(28)] public ushort Type;
    /// <summary>op: VIRTIO_VSOCK_OP_*.</summary>
    [FieldOffset(30)] public ushort Op;
    /// <summary>flags: for a shutdown, VIRTIO_VSOCK_SHUTDOWN_RCV and _SEND.</summary>
    [FieldOffset(32)] public uint Flags;
    /// <summary>buf_alloc: the sender's receive buffer for this connection, in bytes (§5.10.6.3).</summary>
    [FieldOffset(36)] public uint BufferAlloc;
    /// <summary>fwd_cnt: the bytes the sender has consumed from that buffer, free-running (§5.10.6.3).</summary>
    [FieldOffset(40)] public uint ForwardCount;
}
