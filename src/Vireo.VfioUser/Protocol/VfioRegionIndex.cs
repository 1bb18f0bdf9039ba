namespace Vireo.VfioUser;

/// <summary>PCI region indices from linux/vfio.h (VFIO_PCI_BAR0_REGION_INDEX …
/// VFIO_PCI_VGA_REGION_INDEX).</summary>
public static class VfioRegionIndex
{
    /// <summary>VFIO_PCI_BAR0_REGION_INDEX; BAR n is index n.</summary>
    public const uint Bar0 = 0;
    /// <summary>VFIO_PCI_BAR5_REGION_INDEX, the last BAR.</summary>
    public const uint Bar5 = 5;
    /// <summary>VFIO_PCI_ROM_REGION_INDEX: the expansion ROM.</summary>
    public const uint Rom = 6;
    /// <summary>VFIO_PCI_CONFIG_REGION_INDEX: PCI config space.</summary>
    public const uint Config = 7;
    /// <summary>VFIO_PCI_VGA_REGION_INDEX: legacy VGA ranges.</summary>
    public const uint Vga = 8;

    /// <summary>VFIO_PCI_NUM_REGIONS; libvfio-user reports 9 for a PCI device.</summary>
    public const uint Count = 9;
}
