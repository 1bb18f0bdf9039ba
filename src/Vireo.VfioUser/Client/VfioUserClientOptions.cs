namespace Vireo.VfioUser;

/// <summary>What the client announces and how long it waits.</summary>
public sealed record VfioUserClientOptions
{
    public int MaxMessageFds { get; init; } = 8;

    public uint MaxDataTransferSize { get; init; } = VfioUserCapabilities.DefaultMaxDataTransferSize;

    /// <summary>Ask for twin_socket: the server's DMA_READ/DMA_WRITE then come on a second
    /// socket it hands over in the VERSION reply (servers that do not offer it are unaffected).</summary>
    public bool RequestTwinSocket { get; init; } = true;

    /// <summary>Announce the Vireo low-power features.</summary>
    public bool AnnounceLowPower { get; init; } = true;

    /// <summary>Announce the Vireo ACPI notify IRQ index.</summary>
    public bool AnnounceAcpiNotify { get; init; } = true;

    public TimeSpan ReplyTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Serves the server's DMA_READ/DMA_WRITE; without it they get EFAULT.</summary>
    public IVfioUserDmaTarget? DmaTarget { get; init; }
}
