namespace Vireo.VfioUser;

/// <summary>
/// A device as <see cref="VfioUserServer"/> sees it: what the protocol lets a client ask of a
/// device, and nothing of the protocol itself. The server owns framing, negotiation,
/// validation, replies and descriptors (DMA maps, IRQ eventfds, ioeventfds, the wake eventfd)
/// and calls here only with accesses it has already checked against <see cref="RegionSize"/>.
/// Modelled on rust-vmm vfio-user's <c>ServerBackend</c> (region_read, region_write, reset, …),
/// plus what this server carries beyond it: mmap-able regions, ioeventfds, low power and
/// migration. <see cref="VfioUserPciDevice"/> implements it for PCI functions.
/// </summary>
/// <remarks>The server calls every member on its serving thread, one call at a time, holding
/// its lock; a backend reaches back through the <see cref="IVfioUserBackendContext"/> it was
/// attached to, from any thread.</remarks>
public interface IVfioUserBackend
{
    /// <summary>The server that will serve the backend; called once, from its constructor.</summary>
    void Attach(IVfioUserBackendContext context);

    /// <summary>Region <paramref name="region"/>'s size in bytes (<see cref="VfioRegionIndex"/>);
    /// 0 when the device does not have it. Fixed while the device is served.</summary>
    ulong RegionSize(uint region);

    /// <summary>The file a client may mmap for <paramref name="region"/> and the areas of it
    /// that may be mapped; null when every access to the region is trapped.</summary>
    VfioUserRegionMapping? RegionMapping(uint region);

    /// <summary>Vectors of IRQ index <paramref name="index"/> (INTx, MSI, MSI-X); the server
    /// answers for ERR, REQ and its own extensions.</summary>
    int IrqCount(VfioIrqIndex index);

    /// <summary>Whether the device itself holds vector <paramref name="vector"/> of
    /// <paramref name="index"/> back (a PCI MSI-X Function Mask); the server then keeps a raise
    /// pending until <see cref="IVfioUserBackendContext.DeliverPendingIrqs"/>.</summary>
    bool IsIrqMasked(VfioIrqIndex index, int vector);

    /// <summary>The level of the device's INTx line, for a level-triggered source (false for a
    /// device that only raises edges). The server reads it under its lock whenever it decides
    /// whether INTx fires, and after <see cref="IVfioUserBackendContext.IntxChanged"/>; it must
    /// not block or take a lock the server's caller may hold.</summary>
    bool IntxAsserted { get; }

    /// <summary>The writes the device lets a client deliver by eventfd (GET_REGION_IO_FDS).</summary>
    IReadOnlyList<IoEventFdDeclaration> IoEventFds { get; }

    /// <summary>Whether the device offers migration (DEVICE_FEATURE MIGRATION).</summary>
    bool SupportsMigration { get; }

    /// <summary>REGION_READ inside the region's size (also how a trapped access arrives).</summary>
    void RegionRead(uint region, ulong offset, Span<byte> data);

    /// <summary>REGION_WRITE inside the region's size; also a signalled ioeventfd, as its write.</summary>
    void RegionWrite(uint region, ulong offset, ReadOnlySpan<byte> data);

    /// <summary>DEVICE_RESET.</summary>
    void Reset();

    /// <summary>The client moved the device into or out of low power (Vireo PM extension).
    /// <paramref name="mappingsRevoked"/> says whether the client's mmaps of the device's
    /// regions must fault: true from entry to exit, also while the device is briefly awake for
    /// an access that arrived in low power.</summary>
    void LowPowerChanged(bool lowPower, bool mappingsRevoked);

    /// <summary>The client moved the device from <paramref name="from"/> to <paramref name="to"/>.</summary>
    void MigrationStateChanged(MigrationState from, MigrationState to);

    /// <summary>The device state to migrate (STOP_COPY data).</summary>
    byte[] SaveState();

    /// <summary>Restores what <see cref="SaveState"/> produced (RESUMING data); throw to refuse it.</summary>
    void LoadState(ReadOnlySpan<byte> state);

    /// <summary>The client went away: its DMA maps and eventfds are gone, the device state stays.</summary>
    void ClientDisconnected();
}
