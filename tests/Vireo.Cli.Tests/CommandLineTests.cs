using System.Text.Json;
using Vireo.TestSupport;

namespace Vireo.Cli.Tests;

public sealed class CommandLineTests
{
    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    [InlineData("help")]
    public async Task HelpExplainsTheCommands(params string[] args)
    {
        (int status, string stdout, string stderr) = await Run(args);

        Assert.Equal(0, status);
        Assert.Empty(stderr);
        Assert.Contains("vireo [command] [options]", stdout);
        foreach (string command in new[] { "run", "kvm-info", "bench", "remote", "acpi", "vfio-user", "help" })
        {
            Assert.Matches($@"\n  {command} .*\w", stdout);
        }
        Assert.Contains("Exit status: 0 on success", stdout);
    }

    [Theory]
    [InlineData("run")]
    [InlineData("kvm-info")]
    [InlineData("bench")]
    [InlineData("bench", "exits")]
    [InlineData("bench", "s2idle")]
    [InlineData("bench", "pci")]
    [InlineData("bench", "device-events")]
    [InlineData("bench", "disk")]
    [InlineData("remote")]
    [InlineData("remote", "wake")]
    [InlineData("acpi", "dump")]
    [InlineData("vfio-user", "info")]
    public async Task EveryCommandHasItsOwnHelp(params string[] args)
    {
        (int status, string stdout, _) = await Run([.. args, "--help"]);

        Assert.Equal(0, status);
        Assert.Contains($"vireo {string.Join(' ', args)} ", stdout);
        Assert.Contains("Options:", stdout);
    }

    [Theory]
    [InlineData("frobnicate")]
    [InlineData("kvm-info", "--bogus")]
    [InlineData("kvm-info", "stray")]
    [InlineData("bench", "nothing")]
    [InlineData("bench", "exits", "--count")]
    [InlineData("bench", "exits", "--count", "0")]
    [InlineData("bench", "exits", "--count", "lots")]
    [InlineData("bench", "exits", "--count", "-5")]
    [InlineData("bench", "s2idle", "--count", "0")]
    [InlineData("bench", "s2idle", "--count", "1000000")]
    [InlineData("bench", "s2idle", "--cycles", "3")]
    [InlineData("bench", "s2idle", "--cpus", "0")]
    [InlineData("bench", "s2idle", "--cpus", "17")]
    [InlineData("bench", "pci", "--count", "0")]
    [InlineData("bench", "pci", "--count", "1000001")]
    [InlineData("bench", "pci", "--rounds", "0")]
    [InlineData("bench", "pci", "--rounds", "101")]
    [InlineData("bench", "device-events", "--count", "0")]
    [InlineData("bench", "device-events", "--count", "100001")]
    [InlineData("bench", "disk", "--count", "99")]
    [InlineData("bench", "disk", "--rounds", "0")]
    [InlineData("acpi", "frobnicate")]
    [InlineData("vfio-user", "info")]
    [InlineData("help", "frobnicate")]
    public async Task ABadCommandLineExitsWithStatus2AndSaysWhatIsWrong(params string[] args)
    {
        (int status, string stdout, string stderr) = await Run(args);

        Assert.Equal(2, status);
        Assert.Empty(stdout);
        Assert.StartsWith("vireo: ", stderr);
        // One line that names the way to help.
        Assert.Single(stderr.TrimEnd('\n').Split('\n'));
        Assert.Contains("--help`", stderr);
    }

    [KvmFact]
    public async Task KvmInfoJsonDescribesThisHostsKvm()
    {
        (int status, string stdout, _) = await Run(["kvm-info", "--json"]);

        Assert.Equal(0, status);
        using JsonDocument doc = JsonDocument.Parse(stdout);
        JsonElement root = doc.RootElement;
        Assert.Equal(12, root.GetProperty("apiVersion").GetInt32());
        string expectedBackend = Directory.Exists("/sys/module/kvm_intel") ? "intel"
            : Directory.Exists("/sys/module/kvm_amd") ? "amd"
            : Directory.Exists("/sys/module/kvm_pvm") ? "pvm" : "unknown";
        Assert.Equal(expectedBackend, root.GetProperty("backend").GetString());
        Assert.True(root.GetProperty("vcpuMmapSize").GetInt32() >= 4096);
        Assert.Equal(1, root.GetProperty("capabilities").GetProperty("userMemory").GetInt32());
    }

    [KvmFact]
    public async Task BenchExitsRunsTheGuestAndReportsPerExitCost()
    {
        (int status, string stdout, _) = await Run(["bench", "exits", "--count", "2000", "--json"]);

        Assert.Equal(0, status);
        using JsonDocument doc = JsonDocument.Parse(stdout);
        Assert.Equal(2000, doc.RootElement.GetProperty("exits").GetInt64());
        Assert.True(doc.RootElement.GetProperty("usPerExit").GetDouble() > 0);
        JsonElement first = doc.RootElement.GetProperty("firstInstruction");
        Assert.True(first.GetProperty("cpuMs").GetDouble() > 0);
        Assert.Equal(first.GetProperty("rssBytes").GetInt64() - first.GetProperty("guestResidentBytes").GetInt64(),
            first.GetProperty("ownRssBytes").GetInt64());
        Assert.True(doc.RootElement.GetProperty("end").GetProperty("peakRssBytes").GetInt64() > 0);
    }

    [KvmFact]
    public async Task BenchS2idleJsonReportsEachLatencyAndItsRatioToAPlainExit()
    {
        (int status, string stdout, _) = await Run(["bench", "s2idle", "--count", "4", "--json"]);

        Assert.Equal(0, status);
        using JsonDocument doc = JsonDocument.Parse(stdout);
        JsonElement root = doc.RootElement;
        Assert.Equal(4, root.GetProperty("cycles").GetInt32());
        foreach (string name in new[] { "entryTrapToEnterEventUs", "entryTrapToSuspendedEventUs", "wakeToFirstInstructionUs" })
        {
            JsonElement s = root.GetProperty(name);
            Assert.Equal(4, s.GetProperty("count").GetInt32());
            Assert.True(s.GetProperty("min").GetDouble() > 0, name);
            Assert.True(s.GetProperty("median").GetDouble() <= s.GetProperty("max").GetDouble(), name);
        }
        Assert.True(root.GetProperty("referenceRoundTripUs").GetProperty("median").GetDouble() > 0);
        Assert.True(root.GetProperty("entryToSuspendedRatio").GetDouble() > 0);
        Assert.True(root.GetProperty("wakeToFirstInstructionRatio").GetDouble() > 0);
        JsonElement steps = root.GetProperty("wakeStepsUs");
        Assert.Equal(["requestToTaken", "takenToRelease", "releaseToThread", "threadToRun", "runToMarker"], steps.EnumerateObject().Select(p => p.Name));
        foreach (JsonProperty step in steps.EnumerateObject())
        {
            Assert.Equal(4, step.Value.GetProperty("count").GetInt32());
            Assert.True(step.Value.GetProperty("min").GetDouble() >= 0, step.Name);
        }
    }

    [KvmFact]
    public async Task BenchPciJsonReportsEachFigureBesideItsReference()
    {
        (int status, string stdout, _) = await Run(["bench", "pci", "--count", "40", "--rounds", "3", "--json"]);

        Assert.Equal(0, status);
        using JsonDocument doc = JsonDocument.Parse(stdout);
        JsonElement root = doc.RootElement;
        Assert.Equal(3, root.GetProperty("rounds").GetInt32());
        Assert.False(string.IsNullOrEmpty(root.GetProperty("backend").GetString()));
        (string Name, string Reference, string Ratio)[] figures =
            [("trappedRead", "mmio-exit", "ratio"), ("mappedWrite", "guest-ram", "ratio"), ("dma", "memcpy", "throughputRatio")];
        foreach ((string name, string reference, string ratio) in figures)
        {
            JsonElement f = root.GetProperty(name);
            Assert.True(f.GetProperty("count").GetInt64() > 0, name);
            Assert.True(f.GetProperty("us").GetDouble() > 0, name);
            Assert.True(f.GetProperty("referenceUs").GetDouble() > 0, name);
            Assert.Equal(reference, f.GetProperty("reference").GetString());
            Assert.True(f.GetProperty(ratio).GetDouble() > 0, name);
        }
        Assert.Equal(40, root.GetProperty("trappedRead").GetProperty("count").GetInt32());
        Assert.Equal(65536, root.GetProperty("dma").GetProperty("bytes").GetInt32());
        Assert.True(root.GetProperty("dma").GetProperty("megabytesPerSecond").GetDouble() > 0);
        Assert.True(root.GetProperty("dma").GetProperty("pollsPerTransfer").GetDouble() >= 1);
        Assert.True(root.GetProperty("dma").GetProperty("referenceMegabytesPerSecond").GetDouble() > 0);
    }

    [KvmFact]
    public async Task BenchPciTextHasOneRowPerFigure()
    {
        (int status, string stdout, _) = await Run(["bench", "pci", "--count", "20", "--rounds", "1"]);

        Assert.Equal(0, status);
        Assert.Contains("median of 1 rounds", stdout);
        Assert.Matches(@"trapped BAR0 read \(20\) vs MMIO exit\s+[0-9.]+\s+[0-9.]+\s+[0-9.]+", stdout);
        Assert.Matches(@"mapped BAR2 write \(16384\) vs guest RAM\s+[0-9.]+\s+[0-9.]+\s+[0-9.]+", stdout);
        Assert.Matches(@"DMA 64 KiB RAM -> buffer \(2\) vs memcpy\s+[0-9.]+\s+[0-9.]+\s+[0-9.]+", stdout);
        Assert.Matches(@"DMA throughput [0-9]+ MB/s, memcpy [0-9]+ MB/s: [0-9.]+ of memcpy \(each DMA: 4 register writes and [0-9.]+ COMPLETED reads", stdout);
    }

    [KvmFact]
    public async Task BenchS2idleTextHasOneRowPerLatency()
    {
        (int status, string stdout, _) = await Run(["bench", "s2idle", "--count", "2", "--cpus", "2"]);

        Assert.Equal(0, status);
        Assert.Contains("suspend-to-idle over 2 cycles, 2 vCPU(s)", stdout);
        Assert.Matches(@"entry trap -> suspended event \(vCPUs parked\)\s+[0-9.]+\s+[0-9.]+\s+[0-9.]+\s+[0-9.]+\s+[0-9.]+", stdout);
        Assert.Matches(@"wake -> guest's first instruction after resume\s+[0-9.]+", stdout);
        Assert.Matches(@"  released -> vCPU thread awake\s+[0-9.]+", stdout);
        Assert.Matches(@"  KVM_RUN called -> marker exit\s+[0-9.]+", stdout);
    }

    private static async Task<(int Status, string Stdout, string Stderr)> Run(string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int status = await CommandLine.RunAsync(args, stdout, stderr);
        return (status, stdout.ToString(), stderr.ToString());
    }
}
