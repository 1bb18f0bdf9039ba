using System.Runtime.InteropServices;

namespace Vireo.Vfio;

/// <summary>struct vfio_irq_set before its data[]: for DATA_EVENTFD an __s32 per vector follows.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct VfioIrqSetHeader
{
    public uint Argsz;
    public uint Flags;
    public uint Index;
    public uint Start;
    public uint Count;
}
