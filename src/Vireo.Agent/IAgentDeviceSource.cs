namespace Vireo.Agent;

/// <summary>The host's devices as the agent sees them: where a device's IOMMU group is, and
/// opening it for a VMM. The real one reads sysfs and opens /dev/vfio or /dev/iommu; tests give
/// fakes.</summary>
public interface IAgentDeviceSource
{
    /// <summary>Finds <paramref name="device"/> (a PCI address or sysfs path) and its IOMMU group.</summary>
    /// <exception cref="AgentDeviceException">No such device, or it is behind no IOMMU.</exception>
    AgentDeviceGroup Resolve(string device);

    /// <summary>Checks the group is viable and opens the device through <paramref name="backend"/>
    /// ("auto", "group" or "iommufd").</summary>
    /// <exception cref="AgentDeviceException">The group is not viable (naming the device that
    /// blocks it) or the host refused to open it.</exception>
    AgentOpenedDevice Open(AgentDeviceGroup device, string backend);
}
