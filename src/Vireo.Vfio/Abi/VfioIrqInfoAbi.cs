using System.Runtime.InteropServices;

namespace Vireo.Vfio;

/// <summary>struct vfio_irq_info (VFIO_DEVICE_GET_IRQ_INFO).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct VfioIrqInfoAbi
{
    public uint Argsz;
    public uint Flags;
    public uint Index;
    public uint Count;
}
