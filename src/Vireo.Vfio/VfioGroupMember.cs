namespace Vireo.Vfio;

/// <summary>One device of an IOMMU group and whether it lets the group be handed to user space.</summary>
/// <param name="Address">Its sysfs name, a PCI address for PCI devices.</param>
/// <param name="Driver">The driver it is bound to, or null when unbound.</param>
/// <param name="ClassCode">Its 24-bit PCI class code, or null when sysfs has none.</param>
public sealed record VfioGroupMember(string Address, string? Driver, uint? ClassCode)
{
    /// <summary>A PCI-to-PCI bridge (class 06 04, or 06 09 semi-transparent): the kernel lets a
    /// group hold bridges whatever drives them (pcieport does no DMA of its own).</summary>
    public bool IsBridge => ClassCode is uint code && (code >> 8) is 0x0604 or 0x0609;

    /// <summary>Bound to a VFIO driver (vfio-pci or a variant such as mlx5_vfio_pci), to pci-stub,
    /// to nothing, or a bridge: nothing on the host can DMA through the group.</summary>
    public bool IsVfioSafe => Driver is null or "pci-stub" || IsVfioDriver(Driver) || IsBridge;

    /// <summary>vfio-pci itself, or a vendor variant driver built on vfio-pci-core.</summary>
    public static bool IsVfioDriver(string driver)
        => driver.EndsWith("vfio-pci", StringComparison.Ordinal) || driver.EndsWith("vfio_pci", StringComparison.Ordinal);
}
