namespace Vireo.Virtio;

/// <summary>
/// What a <see cref="VirtioPciFunction"/> holds for its driver beyond PCI config space and the
/// MSI-X table, for a snapshot restored in another process (<see cref="VirtioPciFunction.SaveState"/>,
/// <see cref="VirtioPciFunction.RestoreState"/>): the common configuration the driver programmed,
/// the ISR, the vectors left pending behind a mask, and each queue's areas and the device's
/// positions in its rings. The rings themselves are guest RAM and travel with it.
/// </summary>
public sealed record VirtioTransportState
{
    /// <summary>device_status (<see cref="VirtioStatus"/>).</summary>
    public required byte Status { get; init; }

    /// <summary>The driver's feature bits (frozen once FEATURES_OK is set).</summary>
    public required ulong DriverFeatures { get; init; }

    /// <summary>device_feature_select.</summary>
    public required uint DeviceFeatureSelect { get; init; }

    /// <summary>driver_feature_select.</summary>
    public required uint DriverFeatureSelect { get; init; }

    /// <summary>config_msix_vector (<see cref="VirtioPciFunction.NoVector"/> for none).</summary>
    public required ushort ConfigVector { get; init; }

    /// <summary>config_generation.</summary>
    public required byte ConfigGeneration { get; init; }

    /// <summary>queue_select.</summary>
    public required ushort QueueSelect { get; init; }

    /// <summary>The ISR status bits the driver has not read yet.</summary>
    public required byte Isr { get; init; }

    /// <summary>MSI-X vectors signalled while masked, delivered when the guest unmasks them.</summary>
    public required IReadOnlyList<int> PendingVectors { get; init; }

    /// <summary>One entry per queue, in queue order.</summary>
    public required IReadOnlyList<VirtioQueueState> Queues { get; init; }
}

/// <summary>One queue of a <see cref="VirtioTransportState"/>.</summary>
public sealed record VirtioQueueState
{
    /// <summary>queue_size.</summary>
    public required ushort Size { get; init; }

    /// <summary>queue_msix_vector.</summary>
    public required ushort Vector { get; init; }

    /// <summary>queue_enable.</summary>
    public required bool Enabled { get; init; }

    /// <summary>queue_desc: the descriptor area's guest address.</summary>
    public required ulong Desc { get; init; }

    /// <summary>queue_driver: the available ring's.</summary>
    public required ulong Driver { get; init; }

    /// <summary>queue_device: the used ring's.</summary>
    public required ulong Device { get; init; }

    /// <summary>The device's free-running index of the next available entry it pops.</summary>
    public required ushort NextAvail { get; init; }

    /// <summary>The next used entry it pushes.</summary>
    public required ushort NextUsed { get; init; }

    /// <summary>The used index at its last interrupt decision (for EVENT_IDX suppression).</summary>
    public required ushort SignalledUsed { get; init; }
}
