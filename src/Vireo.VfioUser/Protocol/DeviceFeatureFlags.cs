namespace Vireo.VfioUser;

/// <summary>DEVICE_FEATURE flags from linux/vfio.h: the low 16 bits are the feature index
/// (VFIO_DEVICE_FEATURE_MASK), then GET 1&lt;&lt;16, SET 1&lt;&lt;17, PROBE 1&lt;&lt;18.</summary>
[Flags]
public enum DeviceFeatureFlags : uint
{
    FeatureMask = 0xffff,
    Get = 1 << 16,
    Set = 1 << 17,
    Probe = 1 << 18,
}
