using System.Runtime.InteropServices;

namespace Vireo.Vfio;

/// <summary>struct vfio_device_info up to num_irqs, the part every kernel knows (its minsz); later
/// kernels append cap_offset and pad, which an argsz of 16 leaves alone.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct VfioDeviceInfoAbi
{
    public uint Argsz;
    public uint Flags;
    public uint NumRegions;
    public uint NumIrqs;
}
