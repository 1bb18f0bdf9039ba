using Vireo.Lab;

namespace Vireo.Lab.Tests;

public sealed class L1ImageBuilderTests
{
    [LabFact("cpio", "busybox")]
    public void Image_holds_busybox_init_modules_and_a_program_with_its_libraries()
    {
        HostPackages.EnsureInstalled(["cpio", "busybox-static"]);
        using var temp = new TempDirectory();
        string kvm = temp.Combine("kvm.ko");
        string kvmAmd = temp.Combine("kvm-amd.ko");
        File.WriteAllText(kvm, "not really a module");
        File.WriteAllText(kvmAmd, "not really a module either");

        var builder = new L1ImageBuilder("/bin/busybox");
        builder.AddModule(kvm);
        builder.AddModule(kvmAmd);
        builder.AddProgram("/usr/bin/true", "/usr/local/bin/payload");
        builder.AddFile(temp.Combine("kvm.ko"), "/opt/data/deep/file.bin");
        string image = builder.WriteTo(temp.Combine("l1.cpio.gz"));

        string[] listed = Tool.Run("gzip", $"-dc '{image}' | cpio -t --quiet").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("init", listed);
        Assert.Contains("bin/busybox", listed);
        Assert.Contains("dev/console", listed);
        Assert.Contains("lib/modules/lab/00-kvm.ko", listed);
        Assert.Contains("lib/modules/lab/01-kvm-amd.ko", listed);
        Assert.Contains("usr/local/bin/payload", listed);
        // ldd's view of a dynamic program: the loader at its absolute path, libc beside it.
        Assert.Contains("lib64/ld-linux-x86-64.so.2", listed);
        Assert.Contains(listed, name => name.EndsWith("/libc.so.6", StringComparison.Ordinal));
        // Parents are created before their children.
        Assert.True(Array.IndexOf(listed, "opt/data/deep") < Array.IndexOf(listed, "opt/data/deep/file.bin"));
        Assert.True(Array.IndexOf(listed, "opt") >= 0);

        string extracted = temp.Combine("out");
        Directory.CreateDirectory(extracted);
        Tool.Run("gzip", $"-dc '{image}' | cpio -id --quiet --no-absolute-filenames init usr/local/bin/payload", extracted);
        string init = File.ReadAllText(Path.Combine(extracted, "init"));
        Assert.StartsWith("#!/bin/busybox sh\n", init, StringComparison.Ordinal);
        int first = init.IndexOf("insmod /lib/modules/lab/00-kvm.ko", StringComparison.Ordinal);
        int second = init.IndexOf("insmod /lib/modules/lab/01-kvm-amd.ko", StringComparison.Ordinal);
        Assert.True(first > 0 && second > first, init);
        Assert.True(File.GetUnixFileMode(Path.Combine(extracted, "init")).HasFlag(UnixFileMode.UserExecute));
        Assert.Equal(File.ReadAllBytes("/usr/bin/true"), File.ReadAllBytes(Path.Combine(extracted, "usr/local/bin/payload")));
    }

    [Fact]
    public void A_dynamically_linked_busybox_is_refused()
    {
        // /usr/bin/true is dynamic on Debian; a busybox like it could not run alone in L1.
        LabException e = Assert.Throws<LabException>(() => new L1ImageBuilder("/usr/bin/true"));
        Assert.Contains("busybox-static", e.Message, StringComparison.Ordinal);
    }
}
