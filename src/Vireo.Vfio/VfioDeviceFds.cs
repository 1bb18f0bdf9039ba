using Vireo.Sys;

namespace Vireo.Vfio;

/// <summary>The open descriptors a kernel VFIO device is built from, before anything is attached:
/// the container and group (group API) or /dev/iommu and the device cdev (iommufd). Opening needs
/// access to /dev/vfio; using them does not, so a privileged agent can open them and pass them
/// over SCM_RIGHTS, and the VMM rebuilds this with <see cref="ForGroup"/> or <see cref="ForIommufd"/>
/// and hands it to <see cref="KernelVfioDevice.Attach(VfioDeviceFds)"/>. Owns its descriptors.</summary>
public sealed class VfioDeviceFds : IDisposable
{
    private VfioDeviceFds(VfioBackendKind kind, string deviceAddress, int iommuGroup, SafeFd first, SafeFd second)
    {
        Kind = kind;
        DeviceAddress = deviceAddress;
        IommuGroup = iommuGroup;
        First = first;
        Second = second;
    }

    /// <summary><see cref="VfioBackendKind.Group"/> or <see cref="VfioBackendKind.Iommufd"/>.</summary>
    public VfioBackendKind Kind { get; }

    /// <summary>The device's PCI address (VFIO_GROUP_GET_DEVICE_FD names the device by it).</summary>
    public string DeviceAddress { get; }

    /// <summary>The IOMMU group number, for messages; -1 when not known (iommufd).</summary>
    public int IommuGroup { get; }

    /// <summary>The container (/dev/vfio/vfio) or the iommufd (/dev/iommu).</summary>
    public SafeFd First { get; }

    /// <summary>The group (/dev/vfio/N) or the device cdev (/dev/vfio/devices/vfioN).</summary>
    public SafeFd Second { get; }

    /// <summary>Takes ownership of a container and a group fd opened elsewhere.</summary>
    /// <param name="container">An open /dev/vfio/vfio.</param>
    /// <param name="group">An open /dev/vfio/N.</param>
    /// <param name="deviceAddress">The PCI address of the device in the group.</param>
    /// <param name="iommuGroup">The group's number, for messages.</param>
    public static VfioDeviceFds ForGroup(SafeFd container, SafeFd group, string deviceAddress, int iommuGroup)
        => new(VfioBackendKind.Group, deviceAddress, iommuGroup, container, group);

    /// <summary>Takes ownership of an iommufd and a device cdev fd opened elsewhere.</summary>
    /// <param name="iommufd">An open /dev/iommu.</param>
    /// <param name="cdev">An open /dev/vfio/devices/vfioN.</param>
    /// <param name="deviceAddress">The device's PCI address, for messages.</param>
    public static VfioDeviceFds ForIommufd(SafeFd iommufd, SafeFd cdev, string deviceAddress)
        => new(VfioBackendKind.Iommufd, deviceAddress, -1, iommufd, cdev);

    /// <summary>Opens the two device nodes <paramref name="choice"/> names.</summary>
    /// <exception cref="ErrnoException">A node cannot be opened (ENOENT: no VFIO on this host; EACCES: no permission; EBUSY: the group is in use).</exception>
    public static VfioDeviceFds Open(VfioBackendChoice choice) => Open(choice, LinuxVfioSyscalls.Instance);

    internal static VfioDeviceFds Open(VfioBackendChoice choice, IVfioSyscalls syscalls)
    {
        ArgumentNullException.ThrowIfNull(choice);
        SafeFd first = syscalls.Open(choice.FirstPath);
        try
        {
            SafeFd second = syscalls.Open(choice.SecondPath);
            return choice.Kind == VfioBackendKind.Iommufd
                ? ForIommufd(first, second, choice.Device.Address)
                : ForGroup(first, second, choice.Device.Address, choice.Device.IommuGroup);
        }
        catch
        {
            first.Dispose();
            throw;
        }
    }

    /// <summary>Closes the group or cdev, then the container or iommufd.</summary>
    public void Dispose()
    {
        Second.Dispose();
        First.Dispose();
    }
}
