namespace Vireo.VfioUser;

/// <summary>What the client announces and how long it waits.</summary>
public sealed record VfioUserClientOptions
{
    /// <summary>max_msg_fds announced: descriptors the client accepts per message.</summary>
    public int MaxMessageFds { get; init; } = 8;

    /// <summary>max_data_xfer_size announced: the largest data the client accepts per message.</summary>
    public uint MaxDataTransferSize { get; init; } = VfioUserCapabilities.DefaultMaxDataTransferSize;

    /// <summary>Ask for twin_socket: the server's DMA_READ/DMA_WRITE then come on a second
    /// socket it hands over in the VERSION reply (servers that do not offer it are unaffected).</summary>
    public bool RequestTwinSocket { get; init; } = true;

    /// <summary>Announce the Vireo low-power features.</summary>
    public bool AnnounceLowPower { get; init; } = true;

    /// <summary>Announce the Vireo ACPI notify IRQ index.</summary>
    public bool AnnounceAcpiNotify { get; init; } = true;

    /// <summary>How long a request waits for its reply before a <see cref="TimeoutException"/>.</summary>
    public TimeSpan ReplyTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Serves the server's DMA_READ/DMA_WRITE; without it they get EFAULT.</summary>
    public IVfioUserDmaTarget? DmaTarget { get; init; }
}
