namespace Vireo.VfioUser;

/// <summary>Device feature indices from linux/vfio.h. Migration and DMA logging are standard
/// vfio-user; the three low-power features are Vireo's extension (kernel numbers), offered only
/// when both peers announce <c>vireo_low_power</c>.</summary>
public enum DeviceFeatureId : ushort
{
    /// <summary>VFIO_DEVICE_FEATURE_MIGRATION: which migration flows the device supports.</summary>
    Migration = 1,
    /// <summary>VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE: the device's migration state.</summary>
    MigDeviceState = 2,
    /// <summary>VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY: put the device in low power.</summary>
    LowPowerEntry = 3,
    /// <summary>VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP: low power, with an eventfd the device signals to wake.</summary>
    LowPowerEntryWithWakeup = 4,
    /// <summary>VFIO_DEVICE_FEATURE_LOW_POWER_EXIT: bring the device back to full power.</summary>
    LowPowerExit = 5,
    /// <summary>VFIO_DEVICE_FEATURE_DMA_LOGGING_START: start tracking the pages the device dirties.</summary>
    DmaLoggingStart = 6,
    /// <summary>VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP: stop that tracking.</summary>
    DmaLoggingStop = 7,
    /// <summary>VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT: read and clear the dirty bitmap of a range.</summary>
    DmaLoggingReport = 8,
}
