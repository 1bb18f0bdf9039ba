using System.Diagnostics;
using System.Text.Json;

namespace Vireo.VfioUser.Tests;

/// <summary>`vireo-device bench` end to end with a tiny count: it runs its child processes,
/// reports every figure and ratio, and cleans up. Timings are never asserted.</summary>
public sealed class BenchmarkTests
{
    private const int Timeout = 120_000;

    [Fact(Timeout = Timeout)]
    public async Task JsonReportIsCompleteAndConsistent()
    {
        (int exit, string stdout, string stderr, int pid) = await RunDevice("bench", "--count", "20", "--rounds", "2", "--json");
        Assert.True(exit == 0, $"bench failed ({exit}): {stderr}");
        using JsonDocument json = JsonDocument.Parse(stdout);
        JsonElement r = json.RootElement;
        Assert.Equal(20, r.GetProperty("roundTrips").GetInt32());
        Assert.Equal(2, r.GetProperty("copies").GetInt32());
        Assert.Equal(1 << 20, r.GetProperty("copyBytes").GetInt32());
        Assert.Equal(2, r.GetProperty("rounds").GetInt32());
        foreach (string figure in (string[])["regionRoundTripUs", "inProcessRoundTripUs", "rawSocketRoundTripUs", "dmaMappedMiBps", "memcpyMiBps", "dmaMessagesMiBps", "rawSocketMiBps"])
        {
            double value = r.GetProperty(figure).GetDouble();
            Assert.True(double.IsFinite(value) && value > 0, $"{figure} = {value}");
        }
        AssertRatio(r, "regionVsRawSocket", "regionRoundTripUs", "rawSocketRoundTripUs");
        AssertRatio(r, "crossVsInProcess", "regionRoundTripUs", "inProcessRoundTripUs");
        AssertRatio(r, "dmaMappedVsMemcpy", "dmaMappedMiBps", "memcpyMiBps");
        AssertRatio(r, "dmaMessagesVsRawSocket", "dmaMessagesMiBps", "rawSocketMiBps");
        // Both children are gone with their sockets.
        Assert.False(File.Exists($"/tmp/vireo-bench-{pid}-device.sock"));
        Assert.False(File.Exists($"/tmp/vireo-bench-{pid}-bench-echo.sock"));
    }

    [Fact(Timeout = Timeout)]
    public async Task TextReportHasEveryMeasurementWithItsRatio()
    {
        (int exit, string stdout, string stderr, _) = await RunDevice("bench", "--count", "10");
        Assert.True(exit == 0, $"bench failed ({exit}): {stderr}");
        string[] lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("vfio-user benchmark: 10 round trips", lines[0], StringComparison.Ordinal);
        Assert.Equal(4, lines.Count(l => l.Contains(" ratio ", StringComparison.Ordinal)));
    }

    [Theory(Timeout = Timeout)]
    [InlineData("--count 1", "vireo-device: bench: --count takes a whole number from 2 to")]
    [InlineData("--count many", "vireo-device: bench: --count takes a whole number")]
    [InlineData("--count 20 --rounds 0", "--rounds takes a whole number from 1 to")]
    public async Task BadArgumentsAreAUsageError(string arguments, string message)
    {
        (int exit, _, string stderr, _) = await RunDevice(["bench", .. arguments.Split(' ')]);
        Assert.Equal(2, exit);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
    }

    private static void AssertRatio(JsonElement r, string ratio, string numerator, string denominator)
    {
        double expected = r.GetProperty(numerator).GetDouble() / r.GetProperty(denominator).GetDouble();
        Assert.Equal(expected, r.GetProperty(ratio).GetDouble(), expected * 1e-9);
    }

    private static async Task<(int Exit, string Stdout, string Stderr, int Pid)> RunDevice(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "vireo-device.dll"));
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(100));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("vireo-device bench did not finish in 100 s");
        }
        return (process.ExitCode, await stdout, await stderr, process.Id);
    }
}
