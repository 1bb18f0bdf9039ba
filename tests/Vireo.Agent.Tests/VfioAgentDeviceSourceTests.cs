using Vireo.TestSupport;

namespace Vireo.Agent.Tests;

/// <summary>The agent's real device source on fake sysfs and /dev trees (plain files stand in for
/// the device nodes, so opening them works and their contents tell which was opened).</summary>
public sealed class VfioAgentDeviceSourceTests : IDisposable
{
    private readonly FakeSysfs _sys = new();

    public void Dispose() => _sys.Dispose();

    [Fact]
    public void A_group_lists_its_members_but_not_its_bridges()
    {
        _sys.Add("0000:00:03.0", "vfio-pci", group: 4)
            .Add("0000:00:03.1", null, group: 4)
            .Add("0000:00:1c.0", "pcieport", classCode: 0x060400, group: 4);

        AgentDeviceGroup group = Source().Resolve("00:03.0");

        Assert.Equal("0000:00:03.0", group.Address);
        Assert.Equal(4, group.Group);
        Assert.Equal(["0000:00:03.0", "0000:00:03.1"], group.Members);
    }

    [Fact]
    public void The_group_backend_opens_the_container_and_the_group()
    {
        _sys.Add("0000:00:03.0", "vfio-pci", group: 3).Node("vfio/vfio").Node("vfio/3");
        File.WriteAllText(Path.Combine(_sys.DevRoot, "vfio", "3"), "group 3");
        IAgentDeviceSource source = Source();

        using AgentOpenedDevice opened = source.Open(source.Resolve("0000:00:03.0"), "auto");

        Assert.Equal("group", opened.Backend);
        Assert.Equal(["container", "group"], opened.Fds.Select(f => f.Role));
        Assert.Equal("group 3", ThisProcess.ReadText(opened.Fd("group")));
    }

    [Fact]
    public void Iommufd_is_chosen_where_the_kernel_has_it()
    {
        _sys.Add("0000:00:03.0", "vfio-pci", group: 3, cdev: "vfio0").Node("iommu").Node("vfio/devices/vfio0");
        File.WriteAllText(Path.Combine(_sys.DevRoot, "vfio", "devices", "vfio0"), "cdev vfio0");
        IAgentDeviceSource source = Source();

        using AgentOpenedDevice opened = source.Open(source.Resolve("0000:00:03.0"), "auto");

        Assert.Equal("iommufd", opened.Backend);
        Assert.Equal(["iommufd", "device"], opened.Fds.Select(f => f.Role));
        Assert.Equal("cdev vfio0", ThisProcess.ReadText(opened.Fd("device")));
    }

    [Fact]
    public void A_member_on_a_host_driver_makes_the_open_a_refusal_naming_it()
    {
        _sys.Add("0000:00:03.0", "vfio-pci", group: 3).Add("0000:00:03.1", "e1000", group: 3).Node("vfio/vfio").Node("vfio/3");
        IAgentDeviceSource source = Source();

        var e = Assert.Throws<AgentDeviceException>(() => source.Open(source.Resolve("0000:00:03.0"), "auto"));

        Assert.Contains("0000:00:03.1", e.Message);
        Assert.Contains("e1000", e.Message);
    }

    [Fact]
    public void No_device_no_iommu_and_missing_nodes_are_refusals_with_the_reason()
    {
        _sys.Add("0000:00:04.0", "vfio-pci", group: null).Add("0000:00:05.0", "vfio-pci", group: 5);
        IAgentDeviceSource source = Source();

        Assert.Contains("0000:00:09.0", Assert.Throws<AgentDeviceException>(() => source.Resolve("0000:00:09.0")).Message);
        Assert.Contains("IOMMU", Assert.Throws<AgentDeviceException>(() => source.Resolve("0000:00:04.0")).Message);
        // The group's node is missing: the host has no vfio-pci loaded, say.
        Assert.Contains("vfio", Assert.Throws<AgentDeviceException>(() => source.Open(source.Resolve("0000:00:05.0"), "group")).Message);
    }

    private VfioAgentDeviceSource Source() => new(_sys.Root, _sys.DevRoot);
}
