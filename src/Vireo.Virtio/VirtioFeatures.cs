namespace Vireo.Virtio;

/// <summary>Feature bits reserved for the transport and ring (virtio 1.2 §6), as masks.</summary>
public static class VirtioFeatures
{
    /// <summary>VIRTIO_F_INDIRECT_DESC (bit 28): indirect descriptor tables (§2.7.5.3).</summary>
    public const ulong IndirectDesc = 1UL << 28;
    /// <summary>VIRTIO_F_EVENT_IDX (bit 29): used_event / avail_event (§2.7.7, §2.7.10).</summary>
    public const ulong EventIdx = 1UL << 29;
    /// <summary>VIRTIO_F_VERSION_1 (bit 32): compliance with virtio 1.x; this transport requires it.</summary>
    public const ulong Version1 = 1UL << 32;
}
