namespace Vireo.Vfio;

/// <summary>The backend chosen for a device and the device nodes it opens: the container and group
/// for <see cref="VfioBackendKind.Group"/>, /dev/iommu and the cdev for <see cref="VfioBackendKind.Iommufd"/>.</summary>
/// <param name="Kind">Group or Iommufd, never Auto.</param>
/// <param name="Device">The device.</param>
/// <param name="FirstPath">The container (/dev/vfio/vfio) or /dev/iommu.</param>
/// <param name="SecondPath">The group (/dev/vfio/N) or the cdev (/dev/vfio/devices/vfioN).</param>
/// <param name="Reason">Why Auto chose this, or that it was asked for.</param>
public sealed record VfioBackendChoice(VfioBackendKind Kind, VfioHostDevice Device, string FirstPath, string SecondPath, string Reason)
{
    /// <summary>The device nodes' root.</summary>
    public const string DefaultDevRoot = "/dev";

    /// <summary>One line for the command line to print: "0000:00:03.0: vfio (iommufd) via /dev/iommu and /dev/vfio/devices/vfio0 (preferred: the kernel has iommufd and a cdev for the device)".</summary>
    public string Description => $"{Device.Address}: {(Kind == VfioBackendKind.Iommufd ? "vfio (iommufd)" : "vfio (group)")} via {FirstPath} and {SecondPath} ({Reason})";

    /// <summary>Chooses the backend for <paramref name="device"/>: iommufd when /dev/iommu exists and
    /// the device has a VFIO cdev, else the group API, unless <paramref name="requested"/> says which.</summary>
    /// <param name="device">The device, from <see cref="VfioSysfs.Resolve"/>.</param>
    /// <param name="requested">Auto, or the backend to use.</param>
    /// <param name="devRoot">Where the device nodes are.</param>
    /// <exception cref="VfioSetupException">Iommufd was asked for and the host lacks it.</exception>
    public static VfioBackendChoice Choose(VfioHostDevice device, VfioBackendKind requested = VfioBackendKind.Auto, string devRoot = DefaultDevRoot)
    {
        ArgumentNullException.ThrowIfNull(device);
        string iommu = Path.Combine(devRoot, "iommu");
        bool hasIommufd = File.Exists(iommu);
        string? missing = !hasIommufd
            ? $"no {iommu}: the kernel lacks iommufd (CONFIG_IOMMUFD, Linux 6.2+; modprobe iommufd)"
            : device.Cdev is null
                ? $"{device.Address} has no VFIO device cdev (no vfio-dev in sysfs): the kernel lacks CONFIG_VFIO_DEVICE_CDEV or the device is not bound to vfio-pci"
                : null;
        switch (requested)
        {
            case VfioBackendKind.Iommufd when missing is not null:
                throw new VfioSetupException($"iommufd was asked for {device.Address} but {missing}; use the group backend");
            case VfioBackendKind.Iommufd:
                return Iommufd(device, iommu, devRoot, "asked for");
            case VfioBackendKind.Group:
                return Group(device, devRoot, "asked for");
            case VfioBackendKind.Auto:
                return missing is null
                    ? Iommufd(device, iommu, devRoot, "preferred: the kernel has iommufd and a cdev for the device")
                    : Group(device, devRoot, missing);
            default:
                throw new ArgumentOutOfRangeException(nameof(requested), requested, "not a VFIO backend");
        }
    }

    private static VfioBackendChoice Iommufd(VfioHostDevice device, string iommu, string devRoot, string reason)
        => new(VfioBackendKind.Iommufd, device, iommu, Path.Combine(devRoot, "vfio", "devices", device.Cdev!), reason);

    private static VfioBackendChoice Group(VfioHostDevice device, string devRoot, string reason)
        => new(VfioBackendKind.Group, device, Path.Combine(devRoot, "vfio", "vfio"), Path.Combine(devRoot, "vfio", device.IommuGroup.ToString(System.Globalization.CultureInfo.InvariantCulture)), reason);
}
