using System.Runtime.InteropServices;

namespace Vireo.Virtio;

/// <summary>What the device writes into an event queue buffer, <c>struct virtio_vsock_event</c>
/// (virtio 1.2 §5.10.6.7), little-endian and packed; the layout tests pin it to
/// linux/virtio_vsock.h.</summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct VirtioVsockEvent
{
    /// <summary>The structure's size.</summary>
    public const int Size = 4;

    /// <summary>VIRTIO_VSOCK_EVENT_TRANSPORT_RESET (§5.10.6.7): the connections are gone and the
    /// driver reads guest_cid again.</summary>
    public const uint TransportReset = 0;

    /// <summary>id: the event, <see cref="TransportReset"/>.</summary>
    [FieldOffset(0)] public uint Id;
}
