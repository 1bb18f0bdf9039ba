using Vireo.Sys;
using Vireo.Vfio;

namespace Vireo.Agent;

/// <summary>The host's real devices for the agent: sysfs for where a device and its IOMMU group
/// are and whether the group is viable, /dev/vfio or /dev/iommu for opening it. The agent only
/// opens (that needs the privilege); the VMM attaches what it receives (SET_CONTAINER or
/// BIND_IOMMUFD), so everything after the open happens under the VMM's own identity.</summary>
/// <param name="sysfsRoot">Where sysfs is mounted.</param>
/// <param name="devRoot">Where the device nodes are.</param>
public sealed class VfioAgentDeviceSource(string sysfsRoot = VfioSysfs.DefaultRoot, string devRoot = VfioBackendChoice.DefaultDevRoot) : IAgentDeviceSource
{
    /// <inheritdoc/>
    public AgentDeviceGroup Resolve(string device)
    {
        try
        {
            VfioHostDevice host = VfioSysfs.Resolve(device, sysfsRoot);
            string[] members = [.. VfioSysfs.GroupMembers(host).Where(m => !m.IsBridge).Select(m => m.Address)];
            return new AgentDeviceGroup(host.Address, host.IommuGroup, members);
        }
        catch (VfioSetupException e)
        {
            throw new AgentDeviceException(e.Message, e);
        }
    }

    /// <inheritdoc/>
    public AgentOpenedDevice Open(AgentDeviceGroup device, string backend)
    {
        ArgumentNullException.ThrowIfNull(device);
        VfioBackendKind kind = backend switch
        {
            "group" => VfioBackendKind.Group,
            "iommufd" => VfioBackendKind.Iommufd,
            _ => VfioBackendKind.Auto,
        };
        try
        {
            VfioHostDevice host = VfioSysfs.Resolve(device.Address, sysfsRoot);
            VfioSysfs.EnsureViable(host, sysfsRoot);
            VfioDeviceFds fds = VfioDeviceFds.Open(VfioBackendChoice.Choose(host, kind, devRoot));
            // The descriptors pass to the opened device, which closes them; VfioDeviceFds is not disposed.
            return fds.Kind == VfioBackendKind.Iommufd
                ? new AgentOpenedDevice("iommufd", [("iommufd", fds.First), ("device", fds.Second)], null)
                : new AgentOpenedDevice("group", [("container", fds.First), ("group", fds.Second)], null);
        }
        catch (Exception e) when (e is VfioSetupException or ErrnoException)
        {
            throw new AgentDeviceException(e.Message, e);
        }
    }
}
