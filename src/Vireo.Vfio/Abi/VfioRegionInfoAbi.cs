using System.Runtime.InteropServices;

namespace Vireo.Vfio;

/// <summary>struct vfio_region_info without its capability chain.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct VfioRegionInfoAbi
{
    public uint Argsz;
    public uint Flags;
    public uint Index;
    public uint CapOffset;
    public ulong Size;
    public ulong Offset;
}
