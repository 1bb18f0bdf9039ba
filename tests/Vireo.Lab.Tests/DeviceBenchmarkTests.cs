using System.Text.Json;
using Vireo.Lab;

namespace Vireo.Lab.Tests;

/// <summary>The device benchmark's parsing, figures and command lines, without a lab.</summary>
public sealed class DeviceBenchmarkTests
{
    // What RunScript prints for one run: marks stamped with utime, stime and guest_time, the
    // guest tool's lines (with the console's noise around them), and the VMM's exit.
    private const string Run = """
        @@DEVBENCH-CPU 0 100 50 30
        @@DEVBENCH blk-randread requests=1000 bytes=4096000 seconds=5.000000
        @@DEVBENCH-CPU 1 300 150 80
        @@DEVBENCH blk-seqread requests=500 bytes=524288000 seconds=5.000000
        [    9.1] some kernel line
        @@DEVBENCH-CPU 2 400 250 130
        @@DEVBENCH tcp-send requests=800 bytes=104857600 seconds=4.000000
        @@DEVBENCH-CPU 3 500 300 150
        @@DEVBENCH-EXIT 0
        """;

    [Fact]
    public void A_run_becomes_its_phases_with_the_vmm_cpu_between_marks_less_guest_time()
    {
        DeviceBenchmarkSample sample = DeviceBenchmark.Parse(BootBenchmarkVmm.Vireo, 1, Run)!;

        Assert.Equal(DeviceBenchmark.Phases, sample.Phases.Select(p => p.Name));
        DeviceBenchmarkPhase random = sample.Phase("blk-randread");
        // (300 + 150 - 80) - (100 + 50 - 30) = 250 ticks = 2.5 s over 1000 requests.
        Assert.Equal(250, random.VmmCpuTicks);
        Assert.Equal(200, random.RequestsPerSecond, 6);
        Assert.Equal(2500, random.VmmCpuMicrosecondsPerRequest, 6);
        Assert.Equal(150, sample.Phase("blk-seqread").VmmCpuTicks);
        Assert.Equal(100, sample.Phase("blk-seqread").MiBPerSecond, 6);
        Assert.Equal(130, sample.Phase("tcp-send").VmmCpuTicks);
        Assert.Equal(25, sample.Phase("tcp-send").MiBPerSecond, 6);
        Assert.Equal(13_000, sample.Phase("tcp-send").VmmCpuMicrosecondsPerMiB, 6);
    }

    [Theory]
    [InlineData("@@DEVBENCH tcp-send requests=800 bytes=104857600 seconds=4.000000\n", "")] // a phase that never reported
    [InlineData("@@DEVBENCH-CPU 3 500 300 150\n", "")] // the last mark missing
    [InlineData("@@DEVBENCH-EXIT 0", "@@DEVBENCH-EXIT 137")] // killed at the timeout
    public void A_run_that_missed_a_phase_a_mark_or_its_exit_is_no_sample(string remove, string replacement)
    {
        Assert.Null(DeviceBenchmark.Parse(BootBenchmarkVmm.Qemu, 1, Run.ReplaceLineEndings("\n").Replace(remove, replacement, StringComparison.Ordinal)));
    }

    [Fact]
    public void The_result_gives_ratios_of_medians_in_the_table_and_the_json()
    {
        DeviceBenchmarkSample vireo = DeviceBenchmark.Parse(BootBenchmarkVmm.Vireo, 1, Run)!;
        // QEMU: half the random-read rate, at the same CPU per request.
        DeviceBenchmarkSample qemu = DeviceBenchmark.Parse(BootBenchmarkVmm.Qemu, 1,
            Run.Replace("requests=1000 bytes=4096000", "requests=500 bytes=2048000", StringComparison.Ordinal)
               .Replace("@@DEVBENCH-CPU 1 300 150 80", "@@DEVBENCH-CPU 1 175 150 80", StringComparison.Ordinal)
               .Replace("@@DEVBENCH-CPU 2 400 250 130", "@@DEVBENCH-CPU 2 275 250 130", StringComparison.Ordinal)
               .Replace("@@DEVBENCH-CPU 3 500 300 150", "@@DEVBENCH-CPU 3 375 300 150", StringComparison.Ordinal))!;
        var result = new DeviceBenchmarkResult([vireo], [qemu], new DeviceBenchmarkOptions());

        Assert.Equal(2.0, result.ThroughputRatio("blk-randread"), 6);
        Assert.Equal(1.0, result.CpuRatio("blk-randread"), 6);
        Assert.Equal(1.0, result.ThroughputRatio("tcp-send"), 6);
        Assert.True(result.MeetsGoal);
        Assert.Contains("blk-randread  vireo/qemu throughput 2.000", result.ToTable(), StringComparison.Ordinal);
        using JsonDocument json = JsonDocument.Parse(result.ToJson());
        Assert.Equal("devices", json.RootElement.GetProperty("benchmark").GetString());
        JsonElement random = json.RootElement.GetProperty("phases").GetProperty("blk-randread");
        Assert.Equal(2.0, random.GetProperty("throughputRatio").GetDouble());
        Assert.Equal(200, random.GetProperty("vireo").GetProperty("requestsPerSecond").GetProperty("median").GetDouble());
    }

    [Fact]
    public void Both_vmms_get_the_same_guest_memory_image_and_a_tap()
    {
        var options = new DeviceBenchmarkOptions { MemoryMiB = 256 };
        string vireo = DeviceBenchmark.VmmCommand(BootBenchmarkVmm.Vireo, options);
        string qemu = DeviceBenchmark.VmmCommand(BootBenchmarkVmm.Qemu, options);

        Assert.Contains($"--disk path={DeviceBenchmark.DiskInL1} ", vireo, StringComparison.Ordinal);
        Assert.Contains("--net tap,ip=192.168.249.1/24", vireo, StringComparison.Ordinal);
        Assert.Contains("--memory 256M", vireo, StringComparison.Ordinal);
        Assert.Contains($"-drive file={DeviceBenchmark.DiskInL1},if=none,id=d0,format=raw,cache=writeback", qemu, StringComparison.Ordinal);
        Assert.Contains("-device virtio-blk-pci,drive=d0,disable-legacy=on", qemu, StringComparison.Ordinal);
        Assert.Contains("-device virtio-net-pci,netdev=n0,disable-legacy=on", qemu, StringComparison.Ordinal);
        Assert.Contains(" -m 256 ", qemu, StringComparison.Ordinal);
        // The same kernel command line, script included.
        string script = DefaultGuest.ScriptArgument(DeviceBenchmark.GuestScript(options));
        Assert.Contains($"'{DeviceBenchmark.KernelCommandLine} {script}'", vireo, StringComparison.Ordinal);
        Assert.Contains($"'{DeviceBenchmark.KernelCommandLine} {script}'", qemu, StringComparison.Ordinal);
    }

    [LabFact("gcc")]
    public void The_tool_builds_static_and_measures_a_file_and_a_tcp_stream_here()
    {
        using var temp = new TempDirectory();
        string tool = DeviceBenchmark.BuildTool(new LabCache(temp.Combine("cache")));
        string image = temp.Combine("disk.raw");
        File.WriteAllBytes(image, new byte[8 << 20]);

        string random = Tool.Run($"'{tool}'", $"randread '{image}' 0.2");
        Assert.Matches(@"^@@DEVBENCH blk-randread requests=[1-9]\d* bytes=\d+ seconds=0\.\d+\n$", random);
        Assert.True(ElfFile.IsElf(tool) && !ElfFile.HasInterpreter(tool), "the tool is not a static ELF: the guest has no C library");
    }
}
