using Vireo.Memory;

namespace Vireo.Virtio;

/// <summary>A virtio device type's behaviour behind a transport (virtio 1.2 §5): its features,
/// queues and configuration space, and what it does with the chains a queue offers. It sees
/// neither PCI nor interrupts; the transport decides when to signal.</summary>
public interface IVirtioDevice
{
    /// <summary>The Device ID (§5), e.g. 4 for the entropy device.</summary>
    ushort DeviceType { get; }

    /// <summary>The device-specific feature bits it offers; the transport adds its own
    /// (VERSION_1, EVENT_IDX, INDIRECT_DESC).</summary>
    ulong Features { get; }

    /// <summary>One entry per queue: its maximum size, a power of two up to <see cref="SplitVirtqueue.MaxSize"/>.</summary>
    IReadOnlyList<ushort> QueueMaxSizes { get; }

    /// <summary>The size of the device-specific configuration space in bytes (0 for none).</summary>
    int ConfigSize { get; }

    /// <summary>Reads device configuration bytes; the range lies inside <see cref="ConfigSize"/>.</summary>
    /// <param name="offset">The offset in the configuration space.</param>
    /// <param name="data">The bytes to fill.</param>
    void ReadConfig(int offset, Span<byte> data);

    /// <summary>Writes device configuration bytes; the range lies inside <see cref="ConfigSize"/>.</summary>
    /// <param name="offset">The offset in the configuration space.</param>
    /// <param name="data">The bytes written, little-endian.</param>
    void WriteConfig(int offset, ReadOnlySpan<byte> data);

    /// <summary>Serves queue <paramref name="index"/> after a notification: pops chains and
    /// pushes them used. A <see cref="VirtqueueException"/> puts the device into DEVICE_NEEDS_RESET.</summary>
    /// <param name="index">The queue's index.</param>
    /// <param name="queue">The enabled queue.</param>
    /// <param name="memory">The guest's RAM, where the chains' buffers lie.</param>
    void ProcessQueue(int index, SplitVirtqueue queue, GuestMemory memory);

    /// <summary>The driver's feature bits, transport bits included, when the transport accepts
    /// its FEATURES_OK (§3.1.1 step 5): a subset of what was offered that the device now serves
    /// by. Called once per initialization, before DRIVER_OK; until then, and again after
    /// <see cref="Reset"/>, the device holds no negotiated features.</summary>
    /// <param name="features">The accepted feature bits.</param>
    void FeaturesNegotiated(ulong features);

    /// <summary>Back to the state after construction, as on a driver's reset (§2.1); this also
    /// forgets the features given to <see cref="FeaturesNegotiated"/>.</summary>
    void Reset();
}
