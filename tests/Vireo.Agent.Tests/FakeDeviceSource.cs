using Vireo.Sys;

using Vireo.Vfio;

namespace Vireo.Agent.Tests;

/// <summary>Devices in memory: each opened device is two memfds whose contents name the device
/// and the role, so a test can tell that the very files crossed the socket.</summary>
internal sealed class FakeDeviceSource : IAgentDeviceSource
{
    private readonly Dictionary<string, AgentDeviceGroup> _devices = new()
    {
        ["0000:00:03.0"] = new("0000:00:03.0", 3, ["0000:00:03.0"]),
        ["0000:00:04.0"] = new("0000:00:04.0", 5, ["0000:00:04.0", "0000:00:04.1"]),
    };

    public string? NotViable { get; set; }

    public int Opened;

    public AgentDeviceGroup Resolve(string device)
    {
        string address = PciAddressText.Normalize(device) ?? throw new AgentDeviceException($"'{device}' is not a PCI address");
        return _devices.TryGetValue(address, out AgentDeviceGroup? group)
            ? group
            : throw new AgentDeviceException($"no PCI device {address} on this host");
    }

    public AgentOpenedDevice Open(AgentDeviceGroup device, string backend)
    {
        if (NotViable is string blocker)
        {
            throw new AgentDeviceException($"IOMMU group {device.Group} is not viable: {blocker} is bound to e1000");
        }
        Interlocked.Increment(ref Opened);
        string chosen = backend == "auto" ? "group" : backend;
        return new AgentOpenedDevice(chosen, [("container", Named($"{device.Address}/container")), ("device", Named($"{device.Address}/device"))], chosen == "iommufd" ? 1u : null);
    }

    private static SafeFd Named(string text)
    {
        byte[] bytes = System.Text.Encoding.UTF8.GetBytes(text);
        SafeFd fd = MemFd.Create("fake-vfio", (ulong)bytes.Length);
        FileDescriptor.WriteAt(fd, 0, bytes);
        return fd;
    }
}
