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
