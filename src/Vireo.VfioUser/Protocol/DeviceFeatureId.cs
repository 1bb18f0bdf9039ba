namespace Vireo.VfioUser;

/// <summary>Device feature indices from linux/vfio.h. Migration and DMA logging are standard
/// vfio-user; the three low-power features are Vireo's extension (kernel numbers), offered only
/// when both peers announce <c>vireo_low_power</c>.</summary>
public enum DeviceFeatureId : ushort
{
    Migration = 1,
    MigDeviceState = 2,
    LowPowerEntry = 3,
    LowPowerEntryWithWakeup = 4,
    LowPowerExit = 5,
    DmaLoggingStart = 6,
    DmaLoggingStop = 7,
    DmaLoggingReport = 8,
}
