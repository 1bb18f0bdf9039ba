namespace Vireo.VfioUser;

/// <summary>What a vfio-user server says about its device: the negotiated version and
/// capabilities, device info, regions and IRQ indices.</summary>
public sealed record VfioUserDeviceReport(
    string Socket,
    ushort Major,
    ushort Minor,
    string? Capabilities,
    bool LowPower,
    bool AcpiNotify,
    uint DeviceFlags,
    IReadOnlyList<string> DeviceFlagNames,
    uint NumRegions,
    uint NumIrqs,
    IReadOnlyList<VfioUserRegionReport> Regions,
    IReadOnlyList<VfioUserIrqReport> Irqs);
