namespace Vireo.Virtio;

/// <summary>The device status field (virtio 1.2 §2.1).</summary>
[Flags]
public enum VirtioStatus : byte
{
    /// <summary>Reset, or not yet seen by a driver.</summary>
    None = 0,
    /// <summary>ACKNOWLEDGE: the guest found the device.</summary>
    Acknowledge = 1,
    /// <summary>DRIVER: the guest knows how to drive it.</summary>
    Driver = 2,
    /// <summary>DRIVER_OK: the driver is set up and the device may run.</summary>
    DriverOk = 4,
    /// <summary>FEATURES_OK: the driver's features are accepted.</summary>
    FeaturesOk = 8,
    /// <summary>DEVICE_NEEDS_RESET: the device hit an error and needs a reset (§2.1.2).</summary>
    DeviceNeedsReset = 0x40,
    /// <summary>FAILED: the driver gave up on the device.</summary>
    Failed = 0x80,
}
