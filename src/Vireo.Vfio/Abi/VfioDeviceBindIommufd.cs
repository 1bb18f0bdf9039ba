using System.Runtime.InteropServices;

namespace Vireo.Vfio;

/// <summary>struct vfio_device_bind_iommufd up to out_devid (Linux 6.6 layout, the minsz every kernel
/// accepts); 6.17 appends token_uuid_ptr, used only with VFIO_DEVICE_BIND_FLAG_TOKEN.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct VfioDeviceBindIommufd
{
    public uint Argsz;
    public uint Flags;
    public int Iommufd;
    public uint OutDevid;
}
