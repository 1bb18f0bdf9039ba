using System.Text.Json;

namespace Vireo.Cli.Tests;

/// <summary>`vireo bench disk`: every engine at both depths on a cached (and, where the
/// temporary directory's file system takes O_DIRECT, a direct) image, sync the reference; and its
/// bad arguments.</summary>
public sealed class DiskBenchCommandTests
{
    [Fact]
    public async Task Json_has_each_engine_at_each_depth_against_sync_in_the_same_run()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        int status = await CommandLine.RunAsync(["bench", "disk", "--count", "300", "--rounds", "1", "--size", "4M", "--json"], stdout, stderr);

        Assert.True(status == 0, stderr.ToString());
        using JsonDocument document = JsonDocument.Parse(stdout.ToString());
        JsonElement root = document.RootElement;
        Assert.Equal("sync", root.GetProperty("reference").GetString());
        Assert.Equal(4L << 20, root.GetProperty("imageBytes").GetInt64());
        var rows = root.GetProperty("results").EnumerateArray()
            .Select(r => (Engine: r.GetProperty("engine").GetString()!, Cache: r.GetProperty("cache").GetString()!, Depth: r.GetProperty("depth").GetInt32(), Iops: r.GetProperty("iops").GetDouble(), Ratio: r.GetProperty("ratio").GetDouble()))
            .ToList();
        // io_uring is measured where the kernel allows it, and said to be left out where not.
        string? noUring = Vireo.TestSupport.HostCapabilities.WhyNoIoUring();
        string[] engines = noUring is null ? ["sync", "uring", "threads"] : ["sync", "threads"];
        Assert.Equal(noUring is not null, root.TryGetProperty("note", out JsonElement note) && note.GetString()!.Contains("io_uring left out", StringComparison.Ordinal));
        foreach (string cache in rows.Select(r => r.Cache).Distinct())
        {
            foreach (int depth in new[] { 1, 32 })
            {
                Assert.Equal(engines, rows.Where(r => r.Cache == cache && r.Depth == depth).Select(r => r.Engine));
                Assert.Equal(1.0, rows.Single(r => r.Cache == cache && r.Depth == depth && r.Engine == "sync").Ratio);
            }
        }
        Assert.Contains("cached", rows.Select(r => r.Cache));
        Assert.All(rows, r => Assert.True(r.Iops > 0 && r.Ratio > 0, $"{r}"));
    }

    [Theory]
    [InlineData("--size", "100K", "--size takes a size from 1M to 1T")]
    [InlineData("--size", "1000001", "--size takes a size from 1M to 1T")]
    [InlineData("--dir", "/nonexistent/vireo", "--dir /nonexistent/vireo is not a directory")]
    public async Task A_bad_size_or_directory_is_one_line_naming_it(string option, string value, string expected)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        int status = await CommandLine.RunAsync(["bench", "disk", option, value], stdout, stderr);

        Assert.Equal(1, status);
        Assert.StartsWith($"vireo: {expected}", stderr.ToString());
        Assert.Single(stderr.ToString().TrimEnd('\n').Split('\n'));
    }
}
