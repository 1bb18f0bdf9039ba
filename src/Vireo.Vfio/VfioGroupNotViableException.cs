namespace Vireo.Vfio;

/// <summary>An IOMMU group holds a device bound to a host driver, so the kernel will not hand any
/// device of the group to user space (the host driver could DMA anywhere the group can).</summary>
public sealed class VfioGroupNotViableException : VfioSetupException
{
    /// <summary>Group <paramref name="group"/> is blocked by <paramref name="blockingDevice"/>, bound to <paramref name="driver"/>.</summary>
    /// <param name="group">The IOMMU group number.</param>
    /// <param name="blockingDevice">The member bound to a host driver (a PCI address).</param>
    /// <param name="driver">Its driver; null when only the kernel's GET_STATUS said the group is not viable.</param>
    /// <param name="message">The full message with the fix.</param>
    public VfioGroupNotViableException(int group, string? blockingDevice, string? driver, string message)
        : base(message)
    {
        Group = group;
        BlockingDevice = blockingDevice;
        Driver = driver;
    }

    /// <summary>The IOMMU group number.</summary>
    public int Group { get; }

    /// <summary>The member that blocks the group, when sysfs named one.</summary>
    public string? BlockingDevice { get; }

    /// <summary>The host driver <see cref="BlockingDevice"/> is bound to.</summary>
    public string? Driver { get; }
}
