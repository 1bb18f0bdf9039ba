using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Vireo.Sys;
using Vireo.VfioUser;

namespace Vireo.Vfio;

/// <summary>VFIO_DEVICE_FEATURE (Linux 5.19+): struct vfio_device_feature, argsz and flags (the
/// feature index and GET/SET/PROBE), then the feature's data; the low-power ones are Linux 6.1+.</summary>
public sealed partial class KernelVfioDevice
{
    /// <inheritdoc/>
    /// <remarks>False where the kernel lacks the request or the feature (ENOTTY) or the operation (EINVAL, EOPNOTSUPP).</remarks>
    public bool ProbeFeature(DeviceFeatureId feature, DeviceFeatureFlags operations)
    {
        try
        {
            Feature(EncodeFeature(feature, DeviceFeatureFlags.Probe | operations, []));
            return true;
        }
        catch (ErrnoException e) when (e.Errno is Errno.ENOTTY or Errno.EINVAL or Errno.EOPNOTSUPP)
        {
            return false;
        }
    }

    /// <inheritdoc/>
    public void LowPowerEntry() => Feature(EncodeFeature(DeviceFeatureId.LowPowerEntry, DeviceFeatureFlags.Set, []));

    /// <inheritdoc/>
    public void LowPowerEntryWithWakeup(EventFd wake)
    {
        ArgumentNullException.ThrowIfNull(wake);
        bool added = false;
        wake.Handle.DangerousAddRef(ref added);
        try
        {
            Feature(EncodeLowPowerEntryWithWakeup(wake.Handle.DangerousGetFd()));
        }
        finally
        {
            wake.Handle.DangerousRelease();
        }
    }

    /// <inheritdoc/>
    public void LowPowerExit() => Feature(EncodeFeature(DeviceFeatureId.LowPowerExit, DeviceFeatureFlags.Set, []));

    /// <summary>A DEVICE_FEATURE argument: the header (argsz covering the data), then <paramref name="data"/>.</summary>
    internal static byte[] EncodeFeature(DeviceFeatureId feature, DeviceFeatureFlags operations, byte[] data)
    {
        DeviceFeature request = DeviceFeature.Create(feature, operations, data);
        byte[] bytes = new byte[request.EncodedLength];
        request.Encode(bytes);
        return bytes;
    }

    /// <summary>LOW_POWER_ENTRY_WITH_WAKEUP's argument: struct vfio_device_low_power_entry_with_wakeup
    /// carries the eventfd's number (the kernel takes its own reference).</summary>
    internal static byte[] EncodeLowPowerEntryWithWakeup(int eventFd)
    {
        var entry = new VfioLowPowerEntryWithWakeup { WakeupEventFd = eventFd };
        byte[] data = MemoryMarshal.AsBytes(MemoryMarshal.CreateReadOnlySpan(ref entry, 1)).ToArray();
        return EncodeFeature(DeviceFeatureId.LowPowerEntryWithWakeup, DeviceFeatureFlags.Set, data);
    }

    private void Feature(byte[] request)
    {
        var flags = (DeviceFeatureFlags)BinaryPrimitives.ReadUInt32LittleEndian(request.AsSpan(4));
        var feature = (DeviceFeatureId)(flags & DeviceFeatureFlags.FeatureMask);
        _sys.Ioctl(_device, VfioIoctls.DeviceFeature, request, $"VFIO_DEVICE_FEATURE({feature})");
    }
}
