using System.Runtime.InteropServices;

namespace Vireo.Vfio;

/// <summary>struct vfio_device_feature before its data[] (VFIO_DEVICE_FEATURE, Linux 5.19+).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct VfioDeviceFeatureHeader
{
    public uint Argsz;
    public uint Flags;
}
