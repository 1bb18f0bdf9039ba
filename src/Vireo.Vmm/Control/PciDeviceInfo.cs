namespace Vireo.Vmm;

/// <summary>One PCI function in <c>vm.info</c>'s <c>devices</c>.</summary>
/// <param name="Id">The function's name in the machine (`--vfio-user ...,id=NAME`).</param>
/// <param name="Backend">Where the device lives: "vfio-user", "vfio", "virtio" or "emulated".</param>
/// <param name="Bdf">Segment, bus, device and function as Linux writes them: "0000:00:01.0".</param>
/// <param name="VendorId">The Vendor ID as four hex digits ("1af4"), as the guest reads it.</param>
/// <param name="DeviceId">The Device ID as four hex digits ("10f1").</param>
/// <param name="Bars">The function's BARs and where each decodes now.</param>
/// <param name="InterruptMode">What the guest has set up: "msix", "msi", "intx" or "none".</param>
/// <param name="Alive">False once the device is lost (its BARs then read all-ones).</param>
/// <param name="Power">"low-power" while the device may be in low power (the host or the guest let
/// it enter), else "active".</param>
/// <param name="DState">The guest's ACPI D-state for it ("D0", "D3hot", "D3cold"); null for a
/// function without ACPI power (an emulated one).</param>
/// <param name="WakeArmed">Whether the guest armed its wake (_DSW).</param>
/// <param name="NotifyLatency">Notify code queued → the guest's GPE method reading it, on the
/// VMM's clock (<see cref="DevicePowerSlot.NotifyLatency"/>); null before the first.</param>
/// <param name="WakeLatency">Wake GPE raised → the guest powering the device on
/// (<see cref="DevicePowerSlot.WakeLatency"/>); null before the first.</param>
/// <param name="Counters">What the device counts of its work (<see cref="Pci.IDeviceCounters"/>:
/// a disk's read_ops, read_bytes, ...), by name; null for a device that counts nothing.</param>
public sealed record PciDeviceInfo(
    string Id,
    string Backend,
    string Bdf,
    string VendorId,
    string DeviceId,
    IReadOnlyList<PciBarInfo> Bars,
    string InterruptMode,
    bool Alive,
    string Power = "active",
    string? DState = null,
    bool WakeArmed = false,
    EventLatencyInfo? NotifyLatency = null,
    EventLatencyInfo? WakeLatency = null,
    IReadOnlyDictionary<string, long>? Counters = null);

/// <summary>A <see cref="GuestLatency"/> window in <c>vm.info</c>, in µs.</summary>
/// <param name="Count">Samples since the machine started (the figures cover the latest
/// <see cref="GuestLatency.Window"/>).</param>
/// <param name="MedianUs">The median.</param>
/// <param name="P90Us">The 90th percentile.</param>
/// <param name="MaxUs">The largest.</param>
public sealed record EventLatencyInfo(long Count, double MedianUs, double P90Us, double MaxUs)
{
    /// <summary>The window's figures, rounded to 0.1 µs; null before the first sample.</summary>
    public static EventLatencyInfo? Of(GuestLatency latency)
    {
        ArgumentNullException.ThrowIfNull(latency);
        return latency.Summary() is LatencySummary s
            ? new EventLatencyInfo(latency.Count, Math.Round(s.Median, 1), Math.Round(s.P90, 1), Math.Round(s.Max, 1))
            : null;
    }
}
