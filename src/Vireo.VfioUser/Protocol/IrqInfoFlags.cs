namespace Vireo.VfioUser;

/// <summary>linux/vfio.h VFIO_IRQ_INFO_EVENTFD/MASKABLE/AUTOMASKED/NORESIZE.</summary>
[Flags]
public enum IrqInfoFlags : uint
{
    None = 0,
    EventFd = 1,
    Maskable = 2,
    AutoMasked = 4,
    NoResize = 8,
}
