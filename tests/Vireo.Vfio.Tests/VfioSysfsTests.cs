using Vireo.TestSupport;

namespace Vireo.Vfio.Tests;

public sealed class VfioSysfsTests : IDisposable
{
    private readonly FakeSysfs _sys = new();

    public void Dispose() => _sys.Dispose();

    [Fact]
    public void A_device_alone_in_its_group_bound_to_vfio_pci_is_viable()
    {
        _sys.Add("0000:00:03.0", "vfio-pci", group: 7);

        VfioHostDevice device = VfioSysfs.Resolve("0000:00:03.0", _sys.Root);
        IReadOnlyList<VfioGroupMember> members = VfioSysfs.EnsureViable(device, _sys.Root);

        Assert.Equal("0000:00:03.0", device.Address);
        Assert.Equal(7, device.IommuGroup);
        Assert.Null(device.Cdev);
        Assert.Equal(new VfioGroupMember("0000:00:03.0", "vfio-pci", 0x020000), Assert.Single(members));
    }

    [Fact]
    public void A_group_with_a_bridge_on_pcieport_and_an_unbound_member_is_viable()
    {
        _sys.Add("0000:00:1c.0", "pcieport", classCode: 0x060400, group: 3)
            .Add("0000:01:00.0", "vfio-pci", group: 3)
            .Add("0000:01:00.1", driver: null, classCode: 0x040300, group: 3)
            .Add("0000:01:00.2", "pci-stub", group: 3)
            .Add("0000:01:00.3", "mlx5_vfio_pci", group: 3);

        IReadOnlyList<VfioGroupMember> members = VfioSysfs.EnsureViable(VfioSysfs.Resolve("0000:01:00.0", _sys.Root), _sys.Root);

        Assert.Equal(["0000:00:1c.0", "0000:01:00.0", "0000:01:00.1", "0000:01:00.2", "0000:01:00.3"], members.Select(m => m.Address));
        Assert.True(members[0].IsBridge);
        Assert.Null(members[2].Driver);
    }

    [Fact]
    public void A_member_bound_to_a_host_driver_blocks_the_group_and_the_message_says_how_to_fix_it()
    {
        _sys.Add("0000:00:03.0", "vfio-pci", group: 9).Add("0000:00:04.0", "e1000", group: 9);
        VfioHostDevice device = VfioSysfs.Resolve("0000:00:03.0", _sys.Root);

        var error = Assert.Throws<VfioGroupNotViableException>(() => VfioSysfs.EnsureViable(device, _sys.Root));

        Assert.Equal(9, error.Group);
        Assert.Equal("0000:00:04.0", error.BlockingDevice);
        Assert.Equal("e1000", error.Driver);
        Assert.Contains("IOMMU group 9 is not viable: 0000:00:04.0, in the same group as 0000:00:03.0, is bound to the host driver e1000", error.Message, StringComparison.Ordinal);
        Assert.Contains($"echo 0000:00:04.0 > {_sys.Root}/bus/pci/drivers/e1000/unbind", error.Message, StringComparison.Ordinal);
        Assert.Contains($"echo vfio-pci > {_sys.Root}/bus/pci/devices/0000:00:04.0/driver_override", error.Message, StringComparison.Ordinal);
        Assert.Contains($"echo 0000:00:04.0 > {_sys.Root}/bus/pci/drivers_probe", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void The_device_itself_on_a_host_driver_is_named_as_such()
    {
        _sys.Add("0000:00:03.0", "virtio-pci", group: 2);

        var error = Assert.Throws<VfioGroupNotViableException>(() => VfioSysfs.EnsureViable(VfioSysfs.Resolve("0000:00:03.0", _sys.Root), _sys.Root));

        Assert.Contains("0000:00:03.0 itself is bound to the host driver virtio-pci", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bridge_is_allowed_but_a_host_bridge_class_is_not_a_pci_bridge()
    {
        Assert.True(new VfioGroupMember("a", "pcieport", 0x060400).IsVfioSafe);
        Assert.True(new VfioGroupMember("a", "shpchp", 0x060401).IsVfioSafe);
        Assert.False(new VfioGroupMember("a", "somedriver", 0x060000).IsVfioSafe);
        Assert.False(new VfioGroupMember("a", "nvme", 0x010802).IsVfioSafe);
        Assert.True(new VfioGroupMember("a", "nvgrace-gpu-vfio-pci", 0x030200).IsVfioSafe);
    }

    [Fact]
    public void No_iommu_group_link_means_no_IOMMU()
    {
        _sys.Add("0000:00:03.0", "vfio-pci", group: null);

        var error = Assert.Throws<VfioSetupException>(() => VfioSysfs.Resolve("0000:00:03.0", _sys.Root));

        Assert.Equal("0000:00:03.0 has no IOMMU group: the host has no IOMMU enabled (intel_iommu=on / amd_iommu=on) or the device is not behind one", error.Message);
    }

    [Fact]
    public void A_missing_device_is_reported_with_its_address()
    {
        var error = Assert.Throws<VfioSetupException>(() => VfioSysfs.Resolve("0000:00:05.0", _sys.Root));

        Assert.StartsWith("PCI device 0000:00:05.0 not found", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("eth0")]
    [InlineData("00:03")]
    [InlineData("0000:00:03.8")]
    [InlineData("")]
    public void Something_that_is_not_a_PCI_address_is_refused(string device)
    {
        var error = Assert.Throws<VfioSetupException>(() => VfioSysfs.Resolve(device, _sys.Root));

        Assert.Contains("neither a PCI address", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_sysfs_path_of_a_non_PCI_device_is_refused()
    {
        string platform = Path.Combine(_sys.Root, "devices", "platform", "serial8250");
        Directory.CreateDirectory(platform);

        var error = Assert.Throws<VfioSetupException>(() => VfioSysfs.Resolve(platform, _sys.Root));

        Assert.Contains("is not a PCI device", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_sysfs_path_and_a_short_address_resolve_like_the_full_address()
    {
        _sys.Add("0000:00:03.0", "vfio-pci", group: 7, cdev: "vfio2");

        VfioHostDevice byPath = VfioSysfs.Resolve(_sys.DeviceDir("0000:00:03.0") + "/", _sys.Root);
        VfioHostDevice byBusPath = VfioSysfs.Resolve(Path.Combine(_sys.Root, "bus", "pci", "devices", "0000:00:03.0"), _sys.Root);
        VfioHostDevice byShort = VfioSysfs.Resolve("00:03.0", _sys.Root);

        Assert.Equal(byShort, byPath);
        Assert.Equal(byShort, byBusPath);
        Assert.Equal("vfio2", byShort.Cdev);
    }
}
