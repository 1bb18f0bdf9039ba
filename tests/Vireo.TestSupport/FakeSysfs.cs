namespace Vireo.TestSupport;

/// <summary>A fake sysfs and /dev under a temp dir, shaped like the kernel's: devices under
/// devices/pci0000:00, bus/pci/devices and the group's devices/ as symlinks to them, driver and
/// iommu_group as symlinks.</summary>
public sealed class FakeSysfs : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("vireo-sysfs-");

    public FakeSysfs()
    {
        Directory.CreateDirectory(Path.Combine(Root, "bus", "pci", "devices"));
        Directory.CreateDirectory(DevRoot);
    }

    public string Root => Path.Combine(_dir.FullName, "sys");

    public string DevRoot => Path.Combine(_dir.FullName, "dev");

    public string DeviceDir(string address) => Path.Combine(Root, "devices", "pci0000:00", address);

    /// <summary>Adds a PCI function; a null <paramref name="group"/> means no IOMMU.</summary>
    public FakeSysfs Add(string address, string? driver, uint classCode = 0x020000, int? group = 7, string? cdev = null)
    {
        string dir = DeviceDir(address);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "class"), $"0x{classCode:x6}\n");
        Directory.CreateSymbolicLink(Path.Combine(Root, "bus", "pci", "devices", address), dir);
        if (driver is not null)
        {
            string driverDir = Path.Combine(Root, "bus", "pci", "drivers", driver);
            Directory.CreateDirectory(driverDir);
            Directory.CreateSymbolicLink(Path.Combine(dir, "driver"), driverDir);
        }
        if (group is int g)
        {
            string groupDir = Path.Combine(Root, "kernel", "iommu_groups", g.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Directory.CreateDirectory(Path.Combine(groupDir, "devices"));
            Directory.CreateSymbolicLink(Path.Combine(dir, "iommu_group"), groupDir);
            Directory.CreateSymbolicLink(Path.Combine(groupDir, "devices", address), dir);
        }
        if (cdev is not null)
        {
            Directory.CreateDirectory(Path.Combine(dir, "vfio-dev", cdev));
        }
        return this;
    }

    /// <summary>Creates a device node (a plain file stands in) under the fake /dev.</summary>
    public FakeSysfs Node(string relative)
    {
        string path = Path.Combine(DevRoot, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "");
        return this;
    }

    public void Dispose() => _dir.Delete(recursive: true);
}
