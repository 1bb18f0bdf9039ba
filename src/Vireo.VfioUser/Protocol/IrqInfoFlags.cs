namespace Vireo.VfioUser;

/// <summary>linux/vfio.h VFIO_IRQ_INFO_EVENTFD/MASKABLE/AUTOMASKED/NORESIZE.</summary>
[Flags]
public enum IrqInfoFlags : uint
{
    /// <summary>No flags.</summary>
    None = 0,
    /// <summary>VFIO_IRQ_INFO_EVENTFD: the IRQ can be signalled through an eventfd.</summary>
    EventFd = 1,
    /// <summary>VFIO_IRQ_INFO_MASKABLE: the IRQ can be masked and unmasked.</summary>
    Maskable = 2,
    /// <summary>VFIO_IRQ_INFO_AUTOMASKED: the IRQ masks itself when it fires (level INTx) and must be unmasked.</summary>
    AutoMasked = 4,
    /// <summary>VFIO_IRQ_INFO_NORESIZE: vectors cannot be added once the IRQ is enabled.</summary>
    NoResize = 8,
}
