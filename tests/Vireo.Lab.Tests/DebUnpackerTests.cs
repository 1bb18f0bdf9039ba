using Vireo.Lab;

namespace Vireo.Lab.Tests;

/// <summary>The download-unpack-move of a .deb into the lab cache, with a package built here by
/// dpkg-deb standing in for apt-get download.</summary>
public sealed class DebUnpackerTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [LabFact("dpkg-deb", "dpkg")]
    public void A_package_replaces_a_half_done_tree_is_marked_ready_and_leaves_no_work_directory()
    {
        string deb = BuildDeb();
        string parent = Directory.CreateDirectory(_temp.Combine("cache")).FullName;
        string root = Path.Combine(parent, "vireo-test_1.0");
        Directory.CreateDirectory(root);
        File.WriteAllText(Path.Combine(root, "left-over"), "");

        DebUnpacker.DownloadAndUnpack(parent, root,
            work =>
            {
                File.Copy(deb, Path.Combine(work, "vireo-test_1.0_all.deb"));
                return new ProcessResult(0, "", "");
            },
            _ => "not called");

        Assert.True(DebUnpacker.IsReady(root));
        Assert.Equal("vireo-test_1.0_all.deb\n", File.ReadAllText(Path.Combine(root, DebUnpacker.ReadyMarker)));
        Assert.Equal("payload\n", File.ReadAllText(Path.Combine(root, "usr", "share", "vireo-test", "payload.txt")));
        Assert.False(File.Exists(Path.Combine(root, "left-over")));
        Assert.Equal([root], Directory.GetFileSystemEntries(parent));
    }

    [Fact]
    public void A_download_without_a_deb_fails_with_the_callers_message_and_leaves_nothing()
    {
        string parent = Directory.CreateDirectory(_temp.Combine("cache")).FullName;
        string root = Path.Combine(parent, "vireo-test_1.0");

        var e = Assert.Throws<LabException>(() => DebUnpacker.DownloadAndUnpack(parent, root,
            _ => new ProcessResult(100, "", "E: Unable to locate package vireo-test"),
            download => $"download failed (exit {download.ExitCode}): {download.Tail()}"));

        Assert.Equal("download failed (exit 100): E: Unable to locate package vireo-test", e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(parent));
    }

    private string BuildDeb()
    {
        string package = _temp.Combine("package");
        Directory.CreateDirectory(Path.Combine(package, "DEBIAN"));
        Directory.CreateDirectory(Path.Combine(package, "usr", "share", "vireo-test"));
        File.WriteAllText(Path.Combine(package, "DEBIAN", "control"),
            "Package: vireo-test\nVersion: 1.0\nArchitecture: all\nMaintainer: Vireo <vireo@example.invalid>\nDescription: test package\n");
        File.WriteAllText(Path.Combine(package, "usr", "share", "vireo-test", "payload.txt"), "payload\n");
        string deb = _temp.Combine("vireo-test.deb");
        ProcessResult build = HostPackages.Run("dpkg-deb", ["--build", "--root-owner-group", package, deb]);
        Assert.True(build.Succeeded, $"dpkg-deb --build failed: {build.Tail()}");
        return deb;
    }
}
