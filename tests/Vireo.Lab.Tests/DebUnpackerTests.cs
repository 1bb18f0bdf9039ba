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

    [LabFact("dpkg-deb", "dpkg")]
    public async Task Two_fixtures_of_one_process_fetching_the_same_package_at_once_both_get_it()
    {
        // The lab fixtures of one test process prepare their L1s in parallel, so two may fetch the
        // same stock kernel at once. The second download must not land in (and wipe) the first's
        // work directory: on a fresh cache that failed the first with "apt-get download ... failed
        // (exit 0)" although apt had fetched the package.
        string deb = BuildDeb();
        string parent = Directory.CreateDirectory(_temp.Combine("cache")).FullName;
        string root = Path.Combine(parent, "vireo-test_1.0");
        using var bothInside = new Barrier(2);
        Task Fetch() => Task.Run(() => DebUnpacker.DownloadAndUnpack(parent, root,
            work =>
            {
                File.Copy(deb, Path.Combine(work, "vireo-test_1.0_all.deb"));
                // Both downloads have started before either unpacks.
                Assert.True(bothInside.SignalAndWait(TimeSpan.FromSeconds(30)), "the other download never started");
                return new ProcessResult(0, "", "");
            },
            download => $"download left no .deb (exit {download.ExitCode})"));

        await Task.WhenAll(Fetch(), Fetch());

        Assert.True(DebUnpacker.IsReady(root));
        Assert.Equal("payload\n", File.ReadAllText(Path.Combine(root, "usr", "share", "vireo-test", "payload.txt")));
        Assert.Equal([root], Directory.GetFileSystemEntries(parent));
    }

    [Fact]
    public void A_work_directory_left_by_a_dead_process_is_removed_and_a_live_ones_is_kept()
    {
        string parent = Directory.CreateDirectory(_temp.Combine("cache")).FullName;
        // pid_max is at most 2^22: no process has this pid.
        string dead = Directory.CreateDirectory(Path.Combine(parent, ".download-4194305-1")).FullName;
        string old = Directory.CreateDirectory(Path.Combine(parent, ".download-4194306")).FullName;
        string live = Directory.CreateDirectory(Path.Combine(parent, $".download-{Environment.ProcessId}-999")).FullName;

        Assert.Throws<LabException>(() => DebUnpacker.DownloadAndUnpack(parent, Path.Combine(parent, "p"),
            _ => new ProcessResult(100, "", ""), _ => "failed"));

        Assert.False(Directory.Exists(dead));
        Assert.False(Directory.Exists(old));
        Assert.True(Directory.Exists(live));
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
