namespace Vireo.VfioUser;

/// <summary>IRQ indices: 0-4 from linux/vfio.h (VFIO_PCI_INTX_IRQ_INDEX … VFIO_PCI_REQ_IRQ_INDEX);
/// 5 is Vireo's ACPI notification index, numbered as the 2023 kernel proposal
/// ("vfio/pci: Propagate ACPI notifications to user-space") had it, offered only when both
/// peers announce it.</summary>
public enum VfioIrqIndex : uint
{
    Intx = 0,
    Msi = 1,
    Msix = 2,
    Err = 3,
    Req = 4,
    AcpiNotify = 5,
}
