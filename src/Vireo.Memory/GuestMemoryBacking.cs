namespace Vireo.Memory;

/// <summary>What guest RAM is made of on the host.</summary>
public enum GuestMemoryBacking
{
    /// <summary>
    /// Private anonymous memory advised for transparent huge pages: KVM then maps the guest
    /// with 2 MiB nested-page entries, so a guest touching fresh memory takes one fault per
    /// 2 MiB rather than per 4 KiB (QEMU's, cloud-hypervisor's and Firecracker's default).
    /// It cannot be handed to another process.
    /// </summary>
    Private,

    /// <summary>
    /// A memfd mapped shared, whose fd can be passed to device processes (vfio-user DMA maps)
    /// so they see the same pages. shmem gets no transparent huge pages unless the host
    /// enables them (/sys/kernel/mm/transparent_hugepage/shmem_enabled), so it is 4 KiB pages
    /// on most hosts: use it only when a device process needs guest memory.
    /// </summary>
    Shared,
}
