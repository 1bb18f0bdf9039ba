namespace Vireo.VfioUser;

/// <summary>PCI region indices from linux/vfio.h (VFIO_PCI_BAR0_REGION_INDEX …
/// VFIO_PCI_VGA_REGION_INDEX).</summary>
public static class VfioRegionIndex
{
    public const uint Bar0 = 0;
    public const uint Bar5 = 5;
    public const uint Rom = 6;
    public const uint Config = 7;
    public const uint Vga = 8;

    /// <summary>VFIO_PCI_NUM_REGIONS; libvfio-user reports 9 for a PCI device.</summary>
    public const uint Count = 9;
}
