namespace Vireo.Lab;

/// <summary>The Debian kernel the lab boots as L1. Both are the cloud flavour (small; the Intel
/// IOMMU driver and kvm-amd as the lab needs them); the guest (L2) does not change with it.</summary>
public enum L1Kernel
{
    /// <summary>Debian 12's own kernel (linux-image-cloud-amd64, 6.1): the lab's L1 everywhere
    /// unless a test or `vireo-lab run --l1-kernel 6.12` asks for another.</summary>
    Stock,

    /// <summary>Debian 12's 6.12 kernel (linux-image-6.12-cloud-amd64, the backports series
    /// that bookworm-security carries). VFIO keeps the group/container API there. Debian builds
    /// every 6.12 flavour without CONFIG_IOMMUFD (checked in 6.12.118+deb12: cloud, generic and
    /// rt), so it has no /dev/iommu and no VFIO device cdevs either; see
    /// <see cref="StockKernel.HasIommufd"/>.</summary>
    Linux612,
}
