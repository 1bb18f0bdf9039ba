using System.Runtime.InteropServices;

namespace Vireo.Vfio;

/// <summary>struct vfio_device_attach_iommufd_pt up to pt_id (Linux 6.6 layout, the minsz); 6.13
/// appends pasid, used only with VFIO_DEVICE_ATTACH_PASID.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct VfioDeviceAttachIommufdPt
{
    public uint Argsz;
    public uint Flags;
    public uint PtId;
}
