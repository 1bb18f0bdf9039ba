using System.Runtime.InteropServices;

namespace Vireo.Vfio;

/// <summary>struct vfio_group_status (VFIO_GROUP_GET_STATUS).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct VfioGroupStatus
{
    public uint Argsz;
    public uint Flags;
}
