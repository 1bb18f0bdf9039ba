using System.Runtime.InteropServices;

namespace Vireo.Vfio;

/// <summary>struct vfio_info_cap_header: the head of each capability in a region info chain.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct VfioInfoCapHeader
{
    public ushort Id;
    public ushort Version;
    public uint Next;
}
