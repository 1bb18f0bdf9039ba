namespace Vireo.VfioUser;

/// <summary>DEVICE_FEATURE flags from linux/vfio.h: the low 16 bits are the feature index
/// (VFIO_DEVICE_FEATURE_MASK), then GET 1&lt;&lt;16, SET 1&lt;&lt;17, PROBE 1&lt;&lt;18.</summary>
[Flags]
public enum DeviceFeatureFlags : uint
{
    /// <summary>VFIO_DEVICE_FEATURE_MASK: the low 16 bits hold the <see cref="DeviceFeatureId"/>.</summary>
    FeatureMask = 0xffff,
    /// <summary>VFIO_DEVICE_FEATURE_GET: read the feature's data.</summary>
    Get = 1 << 16,
    /// <summary>VFIO_DEVICE_FEATURE_SET: write the feature's data.</summary>
    Set = 1 << 17,
    /// <summary>VFIO_DEVICE_FEATURE_PROBE: only ask whether the given operations are supported.</summary>
    Probe = 1 << 18,
}
