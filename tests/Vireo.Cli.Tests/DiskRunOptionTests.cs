namespace Vireo.Cli.Tests;

/// <summary>`vireo run --disk path=FILE[,readonly][,direct][,io=auto|uring|threads|sync][,id=NAME][,slot=N]` and `--rng`:
/// parsing, its errors, and what run checks before any VM exists.</summary>
public sealed class DiskRunOptionTests
{
    [Fact]
    public void Each_disk_option_is_one_disk_with_flags_an_id_by_position_unless_named_and_an_optional_slot()
    {
        RunOptions options = RunOptions.Parse(
            ["--disk", "path=/img/root.raw", "--disk", "/img/data.raw,readonly,id=data,slot=5", "--disk", "path=/img/c.raw,direct,readonly", "--rng"]);

        Assert.Equal(
            [
                new DiskOption("/img/root.raw", ReadOnly: false, Direct: false, "disk0", null),
                new DiskOption("/img/data.raw", ReadOnly: true, Direct: false, "data", 5),
                new DiskOption("/img/c.raw", ReadOnly: true, Direct: true, "disk2", null),
            ],
            options.Disks);
        Assert.True(options.Rng);
        Assert.Empty(RunOptions.Parse([]).Disks);
        Assert.Equal(
            [Vmm.DiskIo.Auto, Vmm.DiskIo.Uring, Vmm.DiskIo.Threads, Vmm.DiskIo.Sync, Vmm.DiskIo.Auto],
            RunOptions.Parse(["--disk", "/a", "--disk", "/b,io=uring", "--disk", "/c,io=threads", "--disk", "/d,direct,io=sync", "--disk", "/e,io=auto"]).Disks.Select(d => d.Io));
        Assert.False(RunOptions.Parse([]).Rng);
    }

    [Theory]
    [InlineData("--disk takes path=FILE[,readonly][,direct][,io=auto|uring|threads|sync][,id=NAME][,slot=N] (the image file first), not ''", "")]
    [InlineData("--disk takes path=FILE[,readonly][,direct][,io=auto|uring|threads|sync][,id=NAME][,slot=N], not 'path=,readonly': path= names no file", "path=,readonly")]
    [InlineData("--disk takes path=FILE[,readonly][,direct][,io=auto|uring|threads|sync][,id=NAME][,slot=N]; 'ro' in '/a,ro' is none of id=NAME, slot=N, readonly, direct or io=ENGINE", "/a,ro")]
    [InlineData("--disk '/a,readonly,readonly' gives readonly twice", "/a,readonly,readonly")]
    [InlineData("--disk io= takes auto, uring, threads or sync, not 'aio'", "/a,io=aio")]
    [InlineData("--disk id 'a b' must be 1 to 32 letters, digits, '-' or '_'", "/a,id=a b")]
    [InlineData("--disk slot '0' must be a PCI slot from 1 to 31", "/a,slot=0")]
    [InlineData("--disk /a is given twice; one image backs one disk", "/a", "path=/a,readonly")]
    [InlineData("--disk id 'x' is given twice; give each disk its own id=NAME", "/a,id=x", "/b,id=x")]
    [InlineData("--disk slot 3 is given twice", "/a,slot=3", "/b,slot=3")]
    public async Task A_bad_disk_value_is_a_usage_error_that_says_what_is_wrong(string expected, params string[] values)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        int status = await CommandLine.RunAsync(["run", .. values.SelectMany(v => new[] { "--disk", v })], stdout, stderr);

        Assert.Equal(2, status);
        Assert.Empty(stdout.ToString());
        Assert.StartsWith($"vireo: run: {expected}", stderr.ToString());
        Assert.Single(stderr.ToString().TrimEnd('\n').Split('\n'));
    }

    [Theory]
    [InlineData("device id 'rng0' is given to a --disk and a --rng device; give each its own id=NAME", "--disk", "/a,id=rng0", "--rng")]
    [InlineData("device id 'd' is given to a --vfio-user and a --disk device", "--vfio-user", "/s,id=d", "--disk", "/a,id=d")]
    [InlineData("PCI slot 4 is given to a --vfio-user and a --disk device", "--vfio-user", "/s,slot=4", "--disk", "/a,slot=4")]
    public async Task Ids_and_slots_are_one_namespace_across_every_kind_of_device(string expected, params string[] args)
    {
        var stderr = new StringWriter();

        Assert.Equal(2, await CommandLine.RunAsync(["run", .. args], new StringWriter(), stderr));
        Assert.Contains(expected, stderr.ToString());
    }

    [Fact]
    public async Task A_missing_image_is_a_clear_error_before_any_vm_exists()
    {
        string missing = Path.Combine(Path.GetTempPath(), $"vireo-no-disk-{Guid.NewGuid():N}.raw");
        var stderr = new StringWriter();

        int status = await CommandLine.RunAsync(["run", "--kernel", "/nonexistent/bzImage", "--disk", $"path={missing},id=root"], new StringWriter(), stderr);

        Assert.Equal(1, status);
        Assert.StartsWith($"vireo: no disk image at {missing} (--disk for root): create one first", stderr.ToString());
    }
}
