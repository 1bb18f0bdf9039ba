using Vireo.TestSupport;

namespace Vireo.Vfio.Tests;

public sealed class VfioBackendChoiceTests : IDisposable
{
    private readonly FakeSysfs _sys = new();

    public void Dispose() => _sys.Dispose();

    [Fact]
    public void Auto_prefers_iommufd_when_dev_iommu_and_the_cdev_exist()
    {
        _sys.Add("0000:00:03.0", "vfio-pci", group: 7, cdev: "vfio0").Node("iommu");

        VfioBackendChoice choice = VfioBackendChoice.Choose(VfioSysfs.Resolve("0000:00:03.0", _sys.Root), VfioBackendKind.Auto, _sys.DevRoot);

        Assert.Equal(VfioBackendKind.Iommufd, choice.Kind);
        Assert.Equal(Path.Combine(_sys.DevRoot, "iommu"), choice.FirstPath);
        Assert.Equal(Path.Combine(_sys.DevRoot, "vfio", "devices", "vfio0"), choice.SecondPath);
        Assert.Equal($"0000:00:03.0: vfio (iommufd) via {_sys.DevRoot}/iommu and {_sys.DevRoot}/vfio/devices/vfio0 (preferred: the kernel has iommufd and a cdev for the device)", choice.Description);
    }

    [Fact]
    public void Auto_falls_back_to_the_group_without_dev_iommu_and_says_why()
    {
        _sys.Add("0000:00:03.0", "vfio-pci", group: 7, cdev: "vfio0");

        VfioBackendChoice choice = VfioBackendChoice.Choose(VfioSysfs.Resolve("0000:00:03.0", _sys.Root), VfioBackendKind.Auto, _sys.DevRoot);

        Assert.Equal(VfioBackendKind.Group, choice.Kind);
        Assert.Equal(Path.Combine(_sys.DevRoot, "vfio", "vfio"), choice.FirstPath);
        Assert.Equal(Path.Combine(_sys.DevRoot, "vfio", "7"), choice.SecondPath);
        Assert.Contains("vfio (group)", choice.Description, StringComparison.Ordinal);
        Assert.Contains("the kernel lacks iommufd", choice.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void Auto_falls_back_to_the_group_without_a_cdev()
    {
        _sys.Add("0000:00:03.0", "vfio-pci", group: 7).Node("iommu");

        VfioBackendChoice choice = VfioBackendChoice.Choose(VfioSysfs.Resolve("0000:00:03.0", _sys.Root), VfioBackendKind.Auto, _sys.DevRoot);

        Assert.Equal(VfioBackendKind.Group, choice.Kind);
        Assert.Contains("no VFIO device cdev", choice.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Group_can_be_forced_where_iommufd_is_available()
    {
        _sys.Add("0000:00:03.0", "vfio-pci", group: 4, cdev: "vfio0").Node("iommu");

        VfioBackendChoice choice = VfioBackendChoice.Choose(VfioSysfs.Resolve("0000:00:03.0", _sys.Root), VfioBackendKind.Group, _sys.DevRoot);

        Assert.Equal(VfioBackendKind.Group, choice.Kind);
        Assert.Equal(Path.Combine(_sys.DevRoot, "vfio", "4"), choice.SecondPath);
        Assert.Equal("asked for", choice.Reason);
    }

    [Fact]
    public void Iommufd_asked_for_on_a_host_without_it_is_refused_with_the_reason()
    {
        _sys.Add("0000:00:03.0", "vfio-pci", group: 4, cdev: "vfio0");

        var error = Assert.Throws<VfioSetupException>(() => VfioBackendChoice.Choose(VfioSysfs.Resolve("0000:00:03.0", _sys.Root), VfioBackendKind.Iommufd, _sys.DevRoot));

        Assert.Contains("iommufd was asked for 0000:00:03.0 but no ", error.Message, StringComparison.Ordinal);
        Assert.Contains("CONFIG_IOMMUFD", error.Message, StringComparison.Ordinal);
    }
}
