namespace Vireo.VfioUser;

/// <summary>What the client announces and how long it waits.</summary>
public sealed record VfioUserClientOptions
{
    public int MaxMessageFds { get; init; } = 8;

    public uint MaxDataTransferSize { get; init; } = VfioUserCapabilities.DefaultMaxDataTransferSize;

    /// <summary>Announce the Vireo low-power features.</summary>
    public bool AnnounceLowPower { get; init; } = true;

    /// <summary>Announce the Vireo ACPI notify IRQ index.</summary>
    public bool AnnounceAcpiNotify { get; init; } = true;

    public TimeSpan ReplyTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Serves the server's DMA_READ/DMA_WRITE; without it they get EFAULT.</summary>
    public IVfioUserDmaTarget? DmaTarget { get; init; }
}
