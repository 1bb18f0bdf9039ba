using System.Runtime.InteropServices;

namespace Vireo.Virtio;

/// <summary>The socket device's configuration space, <c>struct virtio_vsock_config</c> (virtio 1.2
/// §5.10.4), little-endian and packed; the layout tests pin it to linux/virtio_vsock.h.</summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct VirtioVsockConfig
{
    /// <summary>The structure's size.</summary>
    public const int Size = 8;

    /// <summary>guest_cid: the guest's context ID (read-only).</summary>
    [FieldOffset(0)] public ulong GuestCid;
}
