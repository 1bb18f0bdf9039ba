namespace Vireo.Vmm;

/// <summary>One PCI function in <c>vm.info</c>'s <c>devices</c>.</summary>
/// <param name="Id">The function's name in the machine (`--vfio-user ...,id=NAME`).</param>
/// <param name="Backend">Where the device lives: "vfio-user", "vfio" or "emulated".</param>
/// <param name="Bdf">Segment, bus, device and function as Linux writes them: "0000:00:01.0".</param>
/// <param name="VendorId">The Vendor ID as four hex digits ("1af4"), as the guest reads it.</param>
/// <param name="DeviceId">The Device ID as four hex digits ("10f1").</param>
/// <param name="Bars">The function's BARs and where each decodes now.</param>
/// <param name="InterruptMode">What the guest has set up: "msix", "msi", "intx" or "none".</param>
/// <param name="Alive">False once the device is lost (its BARs then read all-ones).</param>
/// <param name="Power">"low-power" while the host has let it enter low power, else "active".</param>
public sealed record PciDeviceInfo(
    string Id,
    string Backend,
    string Bdf,
    string VendorId,
    string DeviceId,
    IReadOnlyList<PciBarInfo> Bars,
    string InterruptMode,
    bool Alive,
    string Power = "active");
