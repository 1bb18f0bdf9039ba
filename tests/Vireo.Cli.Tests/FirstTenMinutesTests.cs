using System.Text.Json;
using System.Text.RegularExpressions;
using Vireo.Kvm;
using Vireo.TestSupport;

using Vireo.Loader.Tests;

namespace Vireo.Cli.Tests;

/// <summary>What a newcomer tripped over on a first run (issue 11 §2), one test each.</summary>
public sealed class FirstTenMinutesTests
{
    [Theory]
    [InlineData("1T", 1UL << 40)]
    [InlineData("1TiB", 1UL << 40)]
    [InlineData("2G", 2UL << 30)]
    public void MemoryTakesTheSizesItsMessageOffers(string text, ulong bytes)
    {
        Assert.Equal(bytes, RunOptions.Parse(["--memory", text]).MemoryBytes);
    }

    [Fact]
    public async Task MemoryOverTheLimitIsRefusedWithExamplesThatAreThemselvesAccepted()
    {
        (int status, _, string stderr) = await Run("run", "--memory", "2T");

        Assert.Equal(2, status);
        Assert.Contains("from 16M to 1T", stderr);
        Match examples = Regex.Match(stderr, @"\(e\.g\. ([^)]*)\)");
        Assert.True(examples.Success, stderr);
        foreach (string example in examples.Groups[1].Value.Split(", "))
        {
            RunOptions.Parse(["--memory", example]);
        }
        RunOptions.Parse(["--memory", "16M"]);
        RunOptions.Parse(["--memory", "1T"]);
    }

    [Fact]
    public async Task AcpiDumpIntoAFileSaysItIsAFileAndWhatToGiveInstead()
    {
        string file = Path.GetTempFileName();
        try
        {
            (int status, string stdout, string stderr) = await Run("acpi", "dump", "--out", file);

            Assert.Equal(2, status);
            Assert.Empty(stdout);
            Assert.Contains($"--out {file} is a file, not a directory", stderr);
            Assert.Contains("give a directory", stderr);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("--cpus 2 --cpus 3", "--cpus was given twice (2, 3)")]
    [InlineData("--shared-memory --shared-memory", "--shared-memory was given twice")]
    [InlineData("--memory=1G --cpus 1 --memory 2G --memory 3G", "--memory was given 3 times")]
    public async Task AnOptionGivenTwiceIsNamedAsSuch(string words, string expected)
    {
        (int status, _, string stderr) = await Run(["run", .. words.Split(' ')]);

        Assert.Equal(2, status);
        Assert.Contains(expected, stderr);
        Assert.Contains("give it once", stderr);
    }

    [Theory]
    [InlineData("run --cpu 2", "unknown option '--cpu'; did you mean '--cpus'?")]
    [InlineData("rnu", "unknown command 'rnu'")]
    [InlineData("rnu", "did you mean 'run'?")]
    [InlineData("bench exit", "did you mean 'exits'?")]
    [InlineData("remote --api-socket /s pasue", "did you mean 'pause'?")]
    public async Task ATypoGetsASuggestion(string words, string expected)
    {
        (int status, _, string stderr) = await Run(words.Split(' '));

        Assert.Equal(2, status);
        Assert.Contains(expected, stderr);
    }

    [Fact]
    public void EveryBackendHasOneSpellingInKvmInfoText()
    {
        foreach (KvmBackend backend in Enum.GetValues<KvmBackend>())
        {
            string name = KvmBackendName.Of(backend);
            Assert.Matches("^[a-z][a-z0-9]*$", name);
            Assert.StartsWith(name + " (", KvmInfoCommand.BackendText(backend));
        }
    }

    [KvmFact]
    public async Task KvmInfoTextAndJsonSpellTheBackendAlike()
    {
        (_, string json, _) = await Run("kvm-info", "--json");
        (_, string text, _) = await Run("kvm-info");

        string backend = JsonDocument.Parse(json).RootElement.GetProperty("backend").GetString()!;
        Assert.Matches($@"Backend:\s+{backend} \(", text);
    }

    [KvmFact]
    public async Task RunOnAHostThatCannotBootLinuxSpellsTheBackendAsKvmInfoDoes()
    {
        using (KvmSystem kvm = KvmSystem.Open("/dev/kvm"))
        {
            // Where KVM is hardware, this would boot the fake kernel instead: nothing to check.
            if (kvm.Backend is KvmBackend.Intel or KvmBackend.Amd)
            {
                return;
            }
        }
        string kernel = Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(kernel, FakeBzImage.Build());
            (_, string json, _) = await Run("kvm-info", "--json");
            string backend = JsonDocument.Parse(json).RootElement.GetProperty("backend").GetString()!;

            (int status, _, string stderr) = await Run("run", "--kernel", kernel, "--cpus", "2");

            Assert.Equal(1, status);
            Assert.Contains($"this host's KVM backend is {backend},", stderr);
            Assert.Contains($"`vireo-lab run --kernel {kernel} --cpus 2`", stderr);
        }
        finally
        {
            File.Delete(kernel);
        }
    }

    [Theory]
    [InlineData("run")]
    [InlineData("bench", "exits")]
    [InlineData("remote", "gpe")]
    public async Task HelpNamePrintsThatCommandsHelp(params string[] command)
    {
        (int helpStatus, string viaHelp, _) = await Run(["help", .. command]);
        (_, string viaOption, _) = await Run([.. command, "--help"]);

        Assert.Equal(0, helpStatus);
        Assert.Equal(viaOption, viaHelp);
        Assert.Contains($"vireo {string.Join(' ', command)} ", viaHelp);
    }

    [Fact]
    public async Task NoArgumentsPrintsHelpAndIsAUsageError()
    {
        (int status, string stdout, _) = await Run();
        (int labStatus, _, string labStderr) = await Run("lab");

        Assert.Equal(2, status);
        Assert.Contains("vireo [command] [options]", stdout);
        // The lab is its own program now, not part of the shipped vireo.
        Assert.Equal(2, labStatus);
        Assert.Contains("'lab'", labStderr);
    }

    [Theory]
    [InlineData("ping", "Print the VMM's version and process id as JSON.")]
    [InlineData("openapi", "Print the OpenAPI document of the API.")]
    public async Task RemoteHelpDocumentsEveryCommand(string command, string description)
    {
        (int status, string stdout, _) = await Run("remote", "--help");

        Assert.Equal(0, status);
        Assert.Matches($@"\n  {command}\s+{Regex.Escape(description)}", stdout);
    }

    [Fact]
    public async Task BenchExitsHelpListsCoalesced()
    {
        (int status, string stdout, _) = await Run("bench", "exits", "--help");

        Assert.Equal(0, status);
        Assert.Matches(@"\n  --coalesced\s+Let KVM queue the port's writes", stdout);
        Assert.Contains("--count <N>", stdout);
    }

    [Theory]
    [InlineData(0, "--help")]
    [InlineData(0, "-h")]
    [InlineData(0, "bench", "--help")]
    [InlineData(2)]
    [InlineData(2, "--socket")]
    [InlineData(2, "--budget-interval-ms", "soon", "--socket", "/tmp/x")]
    [InlineData(2, "bench", "--count", "0")]
    [InlineData(2, "info")]
    public async Task VireoDeviceFollowsTheSameExitStatuses(int expected, params string[] args)
    {
        (int status, string stdout, string stderr) = await ChildProgram.RunAsync("vireo-device.dll", TimeSpan.FromSeconds(60), args);

        Assert.True(expected == status, stderr);
        if (expected == 0)
        {
            Assert.Contains("vireo-device", stdout);
        }
        else
        {
            Assert.StartsWith("vireo-device: ", stderr);
        }
    }

    private static async Task<(int Status, string Stdout, string Stderr)> Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int status = await CommandLine.RunAsync(args, stdout, stderr);
        return (status, stdout.ToString(), stderr.ToString());
    }
}
