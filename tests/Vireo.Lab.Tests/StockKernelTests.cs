using Vireo.Lab;

namespace Vireo.Lab.Tests;

public sealed class StockKernelTests
{
    private const string Release = "6.1.0-99-cloud-amd64";

    private static string FakePackage(TempDirectory temp)
    {
        string root = temp.Combine("linux-image-" + Release);
        Directory.CreateDirectory(Path.Combine(root, "boot"));
        File.WriteAllText(Path.Combine(root, "boot", "vmlinuz-" + Release), "bzImage");
        Directory.CreateDirectory(Path.Combine(root, "lib", "modules", Release, "kernel", "arch", "x86", "kvm"));
        return root;
    }

    [Fact]
    public void An_unpacked_package_gives_vmlinuz_and_plain_modules()
    {
        using var temp = new TempDirectory();
        string root = FakePackage(temp);
        string kvm = Path.Combine(root, "lib", "modules", Release, "kernel", "arch", "x86", "kvm", "kvm.ko");
        File.WriteAllText(kvm, "module");

        StockKernel kernel = StockKernel.Open(root);

        Assert.Equal(Release, kernel.Release);
        Assert.Equal("linux-image-" + Release, kernel.Package);
        Assert.Equal(Path.Combine(root, "boot", "vmlinuz-" + Release), kernel.Vmlinuz);
        Assert.Equal(kvm, kernel.Module("kvm"));
        Assert.Throws<LabException>(() => kernel.Module("kvm-intel"));
    }

    [Fact]
    public void The_kernel_config_says_whether_it_has_iommufd()
    {
        using var temp = new TempDirectory();
        string root = FakePackage(temp);
        string config = Path.Combine(root, "boot", "config-" + Release);
        // As Debian's 6.12.118+deb12 configs have it: vfio's group API, no iommufd.
        File.WriteAllText(config, "CONFIG_VFIO=m\nCONFIG_VFIO_CONTAINER=y\n# CONFIG_IOMMUFD is not set\nCONFIG_NR_CPUS=8192\n");
        StockKernel kernel = StockKernel.Open(root);

        Assert.False(kernel.HasIommufd);
        Assert.Equal("y", kernel.ConfigOption("CONFIG_VFIO_CONTAINER"));
        Assert.Equal("8192", kernel.ConfigOption("CONFIG_NR_CPUS"));
        Assert.Null(kernel.ConfigOption("CONFIG_VFIO_DEVICE_CDEV"));
        // A prefix of a set option is not that option.
        Assert.Null(kernel.ConfigOption("CONFIG_VFIO_CONT"));

        File.AppendAllText(config, "CONFIG_IOMMUFD=m\nCONFIG_VFIO_DEVICE_CDEV=y\n");
        Assert.True(kernel.HasIommufd);

        File.Delete(config);
        LabException e = Assert.Throws<LabException>(() => kernel.HasIommufd);
        Assert.Contains("config-" + Release, e.Message, StringComparison.Ordinal);
    }

    // Newer Debian kernels ship .ko.xz; busybox insmod may not decompress, so the lab does.
    [LabFact("xz")]
    public void An_xz_compressed_module_is_decompressed_once()
    {
        using var temp = new TempDirectory();
        string root = FakePackage(temp);
        string plain = Path.Combine(root, "lib", "modules", Release, "kernel", "arch", "x86", "kvm", "kvm-amd.ko");
        byte[] contents = Enumerable.Range(0, 5000).Select(i => (byte)(i % 251)).ToArray();
        File.WriteAllBytes(plain, contents);
        Tool.Run("xz", $"'{plain}'");
        Assert.False(File.Exists(plain));

        string module = StockKernel.Open(root).Module("kvm-amd");

        Assert.Equal(plain, module);
        Assert.Equal(contents, File.ReadAllBytes(module));
        Assert.True(File.Exists(plain + ".xz"));
    }
}
