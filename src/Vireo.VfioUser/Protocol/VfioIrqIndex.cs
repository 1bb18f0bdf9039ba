namespace Vireo.VfioUser;

/// <summary>IRQ indices: 0-4 from linux/vfio.h (VFIO_PCI_INTX_IRQ_INDEX … VFIO_PCI_REQ_IRQ_INDEX);
/// 5 is Vireo's ACPI notification index, numbered as the 2023 kernel proposal
/// ("vfio/pci: Propagate ACPI notifications to user-space") had it, offered only when both
/// peers announce it.</summary>
public enum VfioIrqIndex : uint
{
    /// <summary>VFIO_PCI_INTX_IRQ_INDEX: the legacy INTx pin.</summary>
    Intx = 0,
    /// <summary>VFIO_PCI_MSI_IRQ_INDEX: MSI vectors.</summary>
    Msi = 1,
    /// <summary>VFIO_PCI_MSIX_IRQ_INDEX: MSI-X vectors.</summary>
    Msix = 2,
    /// <summary>VFIO_PCI_ERR_IRQ_INDEX: the device reports an uncorrectable error.</summary>
    Err = 3,
    /// <summary>VFIO_PCI_REQ_IRQ_INDEX: the device asks to be released.</summary>
    Req = 4,
    /// <summary>Vireo's extension: each trigger carries an ACPI notify code (see <see cref="AcpiNotification"/>).</summary>
    AcpiNotify = 5,
}
