using Vireo.Sys;

namespace Vireo.VfioUser;

/// <summary>Limits the server announces and enforces.</summary>
public sealed record VfioUserServerOptions
{
    /// <summary>Descriptors accepted per message (libvfio-user announces 8).</summary>
    public int MaxMessageFds { get; init; } = 8;

    /// <summary>Largest REGION/DMA/MIG data per message (libvfio-user: 1 MiB).</summary>
    public uint MaxDataTransferSize { get; init; } = VfioUserCapabilities.DefaultMaxDataTransferSize;

    /// <summary>max_dma_maps announced: DMA_MAPs accepted at once.</summary>
    public uint MaxDmaMaps { get; init; } = VfioUserCapabilities.DefaultMaxDmaMaps;

    /// <summary>Give a client that asks for twin_socket a second socket for server-to-client
    /// DMA_READ/DMA_WRITE (libvfio-user does), so they never interleave with its commands.</summary>
    public bool OfferTwinSocket { get; init; } = true;

    /// <summary>Offer the Vireo low-power features when the client announces them.</summary>
    public bool OfferLowPower { get; init; } = true;

    /// <summary>Offer the ACPI notify IRQ index when the client announces it.</summary>
    public bool OfferAcpiNotify { get; init; } = true;

    /// <summary>Notify codes held for the client; when full, new codes are dropped and counted.</summary>
    public int AcpiQueueCapacity { get; init; } = 64;

    /// <summary>How long the server waits for the client's reply to a DMA_READ/DMA_WRITE.</summary>
    public TimeSpan DmaReplyTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Client commands the server holds while it waits for a DMA reply.</summary>
    public int MaxDeferredCommands { get; init; } = 64;

    /// <summary>How long the rest of a message may take once its first byte has arrived. A
    /// client that sends part of a message and goes quiet is disconnected after it, so it cannot
    /// hold the device (idle time between messages is not limited).</summary>
    public TimeSpan PartialMessageTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Mode, owner and group of the listening socket made by <see cref="VfioUserServer.Run"/>;
    /// owner-only (0600) unless the user asks otherwise.</summary>
    public SocketFileAccess SocketAccess { get; init; } = SocketFileAccess.OwnerOnly;

    /// <summary>Where the server reports client faults and disconnects; nowhere when null.</summary>
    public Action<string>? Log { get; init; }
}
