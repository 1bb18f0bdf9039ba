using System.Text.Json;
using Vireo.SampleDevice;
using Vireo.VfioUser;

namespace Vireo.Cli.Tests;

public sealed class VfioUserInfoTests
{
    [Fact]
    public async Task InfoJsonDescribesTheSampleDeviceServedOverASocket()
    {
        string dir = Directory.CreateTempSubdirectory("vireo-cli-vfu-").FullName;
        string socket = Path.Combine(dir, "dev.sock");
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var listening = new ManualResetEventSlim();
        var server = new VfioUserServer(new AcceleratorDevice());
        Task serving = Task.Run(() => server.Run(socket, stop.Token, listening.Set));
        try
        {
            Assert.True(listening.Wait(TimeSpan.FromSeconds(10)), "the device server did not start");
            var stdout = new StringWriter();
            var stderr = new StringWriter();

            int status = await CommandLine.RunAsync(["vfio-user", "info", socket, "--json"], stdout, stderr);

            Assert.True(status == 0, stderr.ToString());
            using JsonDocument doc = JsonDocument.Parse(stdout.ToString());
            Assert.True(doc.RootElement.EnumerateObject().Any(), stdout.ToString());
            Assert.Contains("region", stdout.ToString(), StringComparison.OrdinalIgnoreCase);
        }
        finally
        {
            stop.Cancel();
            await serving.WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { }, TaskScheduler.Default);
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task InfoOnAMissingSocketNamesTheFix()
    {
        var stderr = new StringWriter();

        int status = await CommandLine.RunAsync(["vfio-user", "info", "/nonexistent/dev.sock"], new StringWriter(), stderr);

        Assert.Equal(1, status);
        Assert.Contains("start the device server", stderr.ToString());
    }
}
