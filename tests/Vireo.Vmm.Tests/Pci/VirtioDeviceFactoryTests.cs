using Vireo.Virtio;

namespace Vireo.Vmm.Tests;

/// <summary>What `--disk`, `--net` and `--rng` make before any machine exists.</summary>
public sealed class VirtioDeviceFactoryTests : IDisposable
{
    private readonly string _image = Path.Combine(Path.GetTempPath(), $"vireo-factory-{Guid.NewGuid():N}.raw");

    public VirtioDeviceFactoryTests()
    {
        using FileStream file = File.Create(_image);
        file.SetLength(1 << 20);
    }

    [Fact]
    public void A_disk_is_a_virtio_block_function_named_by_its_id_with_the_images_size()
    {
        using var disk = (VirtioMachineFunction)PciDeviceFactory.CreateDisk(_image, "root", readOnly: false, direct: false);

        Assert.Equal("root", disk.Id);
        Assert.Equal("virtio", disk.Backend);
        VirtioBlock block = Assert.IsType<VirtioBlock>(disk.Device);
        Assert.Equal((1UL << 20) / 512, block.CapacitySectors);
        Assert.False(block.ReadOnly);
    }

    [Vireo.TestSupport.IoUringFact]
    public void A_disk_runs_its_io_in_a_confined_io_uring_by_default_and_in_the_engine_io_names()
    {
        var logged = new List<string>();
        using (var auto = (VirtioMachineFunction)PciDeviceFactory.CreateDisk(_image, "a", readOnly: false, direct: false, logged.Add))
        {
            Assert.IsType<UringBlockIo>(Assert.IsType<VirtioBlock>(auto.Device).Engine);
            Assert.Same(Assert.IsType<VirtioBlock>(auto.Device).Engine!.CompletionSource, Assert.Single(((IVirtioHostEvents)auto.Device).HostEventSources));
        }
        using (var threads = (VirtioMachineFunction)PciDeviceFactory.CreateDisk(_image, "t", readOnly: false, direct: false, logged.Add, DiskIo.Threads))
        {
            Assert.IsType<ThreadPoolBlockIo>(Assert.IsType<VirtioBlock>(threads.Device).Engine);
        }
        using (var sync = (VirtioMachineFunction)PciDeviceFactory.CreateDisk(_image, "s", readOnly: false, direct: false, logged.Add, DiskIo.Sync))
        {
            Assert.Null(Assert.IsType<VirtioBlock>(sync.Device).Engine);
            Assert.Empty(((IVirtioHostEvents)sync.Device).HostEventSources);
        }
        Assert.Empty(logged);
    }

    [Vireo.TestSupport.TapFact]
    public void A_net_device_makes_its_tap_up_with_the_host_address_and_a_tap_in_use_is_refused_with_the_fix()
    {
        string name = $"vt{Environment.ProcessId % 100000}f";
        var mac = MacAddress.Parse("52:54:00:01:02:03");
        using (var net = (VirtioMachineFunction)PciDeviceFactory.CreateNet(name, (System.Net.IPAddress.Parse("10.231.7.1"), 24), mac, "lan"))
        {
            Assert.Equal("lan", net.Id);
            Assert.Equal(mac, Assert.IsType<VirtioNet>(net.Device).Mac);
            Assert.True(Vireo.Sys.NetInterface.IsUp(name));
            Assert.True(Directory.Exists($"/sys/class/net/{name}"));

            var busy = Assert.Throws<MachineBuildException>(() => PciDeviceFactory.CreateNet(name, null, mac, "again"));
            Assert.StartsWith($"net 'again': tap {name} is in use by another process", busy.Message);
        }
        // A tap Vireo created goes away with the device.
        Assert.True(SpinWait.SpinUntil(() => !Directory.Exists($"/sys/class/net/{name}"), TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public void A_vsock_device_listens_on_its_socket_until_disposed_and_an_existing_path_is_refused_with_the_fix()
    {
        string socket = Path.Combine(Path.GetTempPath(), $"vireo-vsock-{Guid.NewGuid():N}.sock");
        using (var vsock = (VirtioMachineFunction)PciDeviceFactory.CreateVsock(7, socket, "vs"))
        {
            Assert.Equal(7UL, Assert.IsType<VirtioVsock>(vsock.Device).GuestCid);
            Assert.True(File.Exists(socket));
            var taken = Assert.Throws<MachineBuildException>(() => PciDeviceFactory.CreateVsock(8, socket, "again"));
            Assert.StartsWith($"vsock 'again': {socket} exists: remove it if no VMM uses it", taken.Message);
        }
        Assert.False(File.Exists(socket));
    }

    [Fact]
    public void An_image_another_vmm_writes_is_refused_with_the_fix_and_readers_may_share()
    {
        using var first = (VirtioMachineFunction)PciDeviceFactory.CreateDisk(_image, "a", readOnly: false, direct: false);

        var refused = Assert.Throws<MachineBuildException>(() => PciDeviceFactory.CreateDisk(_image, "b", readOnly: false, direct: false));
        Assert.StartsWith($"disk 'b': {_image} cannot be opened for reading and writing (add ,readonly if the guest need not write, or stop the VMM that holds it)", refused.Message);
        first.Dispose();
        using var reader1 = (VirtioMachineFunction)PciDeviceFactory.CreateDisk(_image, "r1", readOnly: true, direct: false);
        using var reader2 = (VirtioMachineFunction)PciDeviceFactory.CreateDisk(_image, "r2", readOnly: true, direct: false);
        Assert.True(Assert.IsType<VirtioBlock>(reader2.Device).ReadOnly);
    }

    [Fact]
    public void A_missing_image_is_a_build_error_naming_it()
    {
        string missing = _image + ".missing";

        var e = Assert.Throws<MachineBuildException>(() => PciDeviceFactory.CreateDisk(missing, "d", readOnly: true, direct: false));

        Assert.StartsWith($"disk 'd': {missing} cannot be opened for reading", e.Message);
    }

    [Fact]
    public void A_direct_disk_opens_where_the_file_system_has_O_DIRECT_and_is_refused_with_the_fix_where_not()
    {
        using (var disk = (VirtioMachineFunction)PciDeviceFactory.CreateDisk(_image, "d", readOnly: false, direct: true))
        {
            Assert.Equal((1UL << 20) / 512, Assert.IsType<VirtioBlock>(disk.Device).CapacitySectors);
        }

        // procfs has no direct I/O on any kernel.
        var e = Assert.Throws<MachineBuildException>(() => PciDeviceFactory.CreateDisk("/proc/version", "p", readOnly: true, direct: true));

        Assert.StartsWith("disk 'p': /proc/version: the file system refuses O_DIRECT", e.Message);
        Assert.EndsWith("drop `direct` to use the host page cache", e.Message);
    }

    [Fact]
    public void Disposing_the_function_releases_the_image()
    {
        ((VirtioMachineFunction)PciDeviceFactory.CreateDisk(_image, "a", readOnly: false, direct: false)).Dispose();

        using var again = (VirtioMachineFunction)PciDeviceFactory.CreateDisk(_image, "a", readOnly: false, direct: false);
    }

    public void Dispose() => File.Delete(_image);
}
