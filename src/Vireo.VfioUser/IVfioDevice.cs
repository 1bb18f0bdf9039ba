using Vireo.Sys;

namespace Vireo.VfioUser;

/// <summary>
/// A VFIO device as a VMM drives it, whichever side of it is the device: a vfio-user server
/// (<see cref="VfioUserClient"/>) or the Linux kernel's VFIO (Vireo.Vfio's kernel backend).
/// vfio-user reuses the kernel's structures (region and IRQ info, IRQ indexes, device features),
/// so both backends speak in the same types and the PCI glue above them is one.
/// </summary>
/// <remarks>
/// Every call may throw <see cref="ErrnoException"/> (a kernel backend's failed syscall),
/// <see cref="VfioUserException"/> (a vfio-user error reply or protocol error),
/// <see cref="VfioUserDisconnectedException"/> or <see cref="TimeoutException"/> (a server that
/// went away or stalled). Region accesses are called from vCPU threads concurrently.
/// </remarks>
public interface IVfioDevice : IDisposable
{
    /// <summary>What kind of backend this is, for messages: "vfio-user", "vfio (group)", "vfio (iommufd)".</summary>
    string Backend { get; }

    /// <summary>Whether guest RAM must be backed by shareable memory (a memfd) for DMA: true for a
    /// device in another process, false for the kernel, which pins the VMM's own mapping.</summary>
    bool NeedsSharedMemory { get; }

    /// <summary>False once the device is gone for good (its server hung up); a kernel device stays connected.</summary>
    bool IsConnected { get; }

    /// <summary>Raised once, from any thread, when the device goes away while nobody waits on it.</summary>
    event Action<Exception>? Disconnected;

    /// <summary>The device's flags and its numbers of regions and IRQ indexes.</summary>
    DeviceInfo GetDeviceInfo();

    /// <summary>Region <paramref name="index"/>'s size, flags, offset and sparse mmap areas; when it
    /// can be mapped, <paramref name="fd"/> is a descriptor (owned by the caller) to mmap at
    /// <see cref="RegionInfo.Offset"/> plus an area's offset.</summary>
    RegionInfo GetRegionInfo(uint index, out SafeFd? fd);

    /// <summary>The eventfds the device wants registered as ioeventfds on region <paramref name="index"/>
    /// (empty when it has none, and always for the kernel).</summary>
    IReadOnlyList<RegionIoEventFd> GetRegionIoEventFds(uint index);

    /// <summary>IRQ index <paramref name="index"/>'s flags and vector count.</summary>
    IrqInfo GetIrqInfo(uint index);

    /// <summary>Reads <paramref name="data"/>.Length bytes of region <paramref name="region"/> at <paramref name="offset"/>.</summary>
    void ReadRegion(uint region, ulong offset, Span<byte> data);

    /// <summary>Writes <paramref name="data"/> to region <paramref name="region"/> at <paramref name="offset"/>.</summary>
    void WriteRegion(uint region, ulong offset, ReadOnlySpan<byte> data);

    /// <summary>Triggers vectors <paramref name="start"/>.. of <paramref name="index"/> by these eventfds.</summary>
    void SetIrqEventFds(VfioIrqIndex index, uint start, IReadOnlyList<EventFd> eventFds);

    /// <summary>Disables every vector of <paramref name="index"/>.</summary>
    void DisableIrqs(VfioIrqIndex index);

    /// <summary>Unmasks <paramref name="index"/> (INTx) whenever <paramref name="unmask"/> is
    /// signalled (KVM's resample eventfd); null removes it.</summary>
    void SetIrqUnmaskEventFd(VfioIrqIndex index, EventFd? unmask);

    /// <summary>Masks vectors <paramref name="start"/>..+<paramref name="count"/> of <paramref name="index"/>.</summary>
    void MaskIrq(VfioIrqIndex index, uint start = 0, uint count = 1);

    /// <summary>Unmasks vectors <paramref name="start"/>..+<paramref name="count"/> of <paramref name="index"/>.</summary>
    void UnmaskIrq(VfioIrqIndex index, uint start = 0, uint count = 1);

    /// <summary>Resets the device (a function-level reset or the backend's equivalent).</summary>
    void Reset();

    /// <summary>Lets the device reach guest RAM <paramref name="region"/>, read and write.</summary>
    void MapDma(VfioDmaRegion region);

    /// <summary>Takes back a range given by <see cref="MapDma"/>, exactly as mapped.</summary>
    void UnmapDma(ulong iova, ulong size);

    /// <summary>Asks whether the device supports <paramref name="operations"/> on <paramref name="feature"/>.</summary>
    bool ProbeFeature(DeviceFeatureId feature, DeviceFeatureFlags operations);

    /// <summary>LOW_POWER_ENTRY: the device may enter low power; any access wakes it.</summary>
    void LowPowerEntry();

    /// <summary>LOW_POWER_ENTRY_WITH_WAKEUP: as <see cref="LowPowerEntry"/>, and <paramref name="wake"/>
    /// is signalled once when the device wakes by itself.</summary>
    void LowPowerEntryWithWakeup(EventFd wake);

    /// <summary>LOW_POWER_EXIT: the device leaves low power.</summary>
    void LowPowerExit();
}
