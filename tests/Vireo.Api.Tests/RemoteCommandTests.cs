using System.Text.Json;
using System.Text.Json.Nodes;
using Vireo.Api;

namespace Vireo.Api.Tests;

public sealed class RemoteCommandTests
{
    [Theory(Timeout = TestLimits.TestMs)]
    [InlineData("--help")]
    [InlineData("-h")]
    [InlineData("help")]
    [InlineData("--api-socket", "/x", "--help")]
    public async Task HelpListsTheCommands(params string[] args)
    {
        (int status, string stdout, string stderr) = await RunAsync(args);

        Assert.Equal(0, status);
        Assert.Contains("vireo remote [command] [options]", stdout);
        Assert.Contains("--api-socket <PATH>", stdout);
        foreach (string command in new[] { "info", "ping", "power-button", "shutdown", "pause", "resume", "gpe <N>", "wake", "events", "openapi", "devices" })
        {
            Assert.Matches($@"\n  {command}\s+[A-Z]\w+", stdout);
        }
        Assert.Empty(stderr);
    }

    [Theory(Timeout = TestLimits.TestMs)]
    [InlineData("shutdown", "--force")]
    [InlineData("wake", "--delay-ms <N>")]
    [InlineData("gpe", "<N>")]
    [InlineData("info", "--api-socket <PATH>")]
    [InlineData("devices", "--json")]
    public async Task EachCommandHasItsOwnHelp(string command, string detail)
    {
        (int status, string stdout, _) = await RunAsync(["--api-socket", "/x", command, "--help"]);
        (int helpStatus, string viaHelp, _) = await RunAsync(["help", command]);

        Assert.Equal(0, status);
        Assert.Contains($"vireo remote {command} ", stdout);
        Assert.Contains(detail, stdout);
        Assert.Equal(0, helpStatus);
        Assert.Equal(stdout, viaHelp);
    }

    [Theory(Timeout = TestLimits.TestMs)]
    [InlineData]
    [InlineData("--api-socket", "/s")]
    public async Task NoCommandPrintsHelpAndIsAUsageError(params string[] args)
    {
        (int status, string stdout, _) = await RunAsync(args);

        Assert.Equal(2, status);
        Assert.Contains("vireo remote [command] [options]", stdout);
    }

    [Theory(Timeout = TestLimits.TestMs)]
    [InlineData("info")]
    [InlineData("--api-socket")]
    [InlineData("--api-socket", "/s", "frobnicate")]
    [InlineData("--api-socket", "/s", "info", "extra")]
    [InlineData("--api-socket", "/s", "pause", "--force")]
    [InlineData("--api-socket", "/s", "shutdown", "--force=yes")]
    [InlineData("--api-socket", "/s", "--bogus", "info")]
    [InlineData("--api-socket", "/s", "gpe")]
    [InlineData("--api-socket", "/s", "gpe", "256")]
    [InlineData("--api-socket", "/s", "gpe", "-1")]
    [InlineData("--api-socket", "/s", "gpe", "three")]
    [InlineData("--api-socket", "/s", "gpe", "1", "2")]
    [InlineData("--api-socket", "/s", "wake", "--delay-ms")]
    [InlineData("--api-socket", "/s", "wake", "--delay-ms", "-5")]
    [InlineData("--api-socket", "/s", "wake", "--delay-ms=soon")]
    [InlineData("--api-socket", "/s", "wake", "--delay-ms", "86400001")]
    [InlineData("--api-socket", "/s", "devices", "sample0")]
    [InlineData("--api-socket", "/s", "devices", "--json", "--json")]
    public async Task ABadCommandLineIsStatus2WithAReason(params string[] args)
    {
        (int status, string stdout, string stderr) = await RunAsync(args);

        Assert.Equal(2, status);
        Assert.Empty(stdout);
        Assert.StartsWith("vireo: remote", stderr);
        Assert.Single(stderr.TrimEnd('\n').Split('\n'));
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task InfoPrintsTheVmAsJson()
    {
        await using TestApi api = await TestApi.StartAsync();

        (int status, string stdout, _) = await RunAsync(["--api-socket", api.SocketPath, "info"]);

        Assert.Equal(0, status);
        using JsonDocument document = JsonDocument.Parse(stdout);
        Assert.Equal("running", document.RootElement.GetProperty("state").GetString());
        Assert.Equal("s0", document.RootElement.GetProperty("power_state").GetString());
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task DevicesPrintsATableOfVmInfosDevices()
    {
        await using TestApi api = await TestApi.StartAsync();
        api.Vm.InfoToReturn = api.Vm.InfoToReturn with
        {
            Devices =
            [
                FakeVmController.SampleDevice,
                new PciDeviceInfo("nvme-a", "vfio", "0000:00:1f.0", "8086", "0953", [new PciBarInfo(4, "io", 32, false, 0x1000)], "intx", false),
            ],
        };

        (int status, string stdout, string stderr) = await RunAsync(["--api-socket", api.SocketPath, "devices"]);

        Assert.True(status == 0, stderr);
        Assert.Equal(
            """
            ID       BACKEND    BDF           VENDOR:DEVICE  IRQ   ALIVE  POWER            BARS
            sample0  vfio-user  0000:00:01.0  1af4:10f1      msix  yes    D3cold low wake  BAR0 memory32 0xc0000000 [size=4K]; BAR2 memory64 prefetchable unassigned [size=64K]
            nvme-a   vfio       0000:00:1f.0  8086:0953      intx  no     active           BAR4 io 0x1000 [size=32]

            """,
            stdout);
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task DevicesJsonIsTheArrayVmInfoHas()
    {
        await using TestApi api = await TestApi.StartAsync();

        (int status, string stdout, _) = await RunAsync(["--api-socket", api.SocketPath, "devices", "--json"]);

        Assert.Equal(0, status);
        using JsonDocument printed = JsonDocument.Parse(stdout);
        using JsonDocument info = JsonDocument.Parse((await api.SendAsync("GET", "/api/v1/vm.info")).Body);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(info.RootElement.GetProperty("devices").GetRawText()), JsonNode.Parse(stdout)), stdout);
        Assert.Equal(JsonValueKind.Array, printed.RootElement.ValueKind);
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task DevicesWithNoneSaysSo()
    {
        await using TestApi api = await TestApi.StartAsync();
        api.Vm.InfoToReturn = api.Vm.InfoToReturn with { Devices = [] };

        (int status, string stdout, _) = await RunAsync(["--api-socket", api.SocketPath, "devices"]);
        (_, string json, _) = await RunAsync(["--api-socket", api.SocketPath, "devices", "--json"]);

        Assert.Equal(0, status);
        Assert.Equal("no PCI devices\n", stdout);
        Assert.Equal("[]", json.Trim());
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task ActionsReachTheVm()
    {
        await using TestApi api = await TestApi.StartAsync();
        string[] socket = ["--api-socket", api.SocketPath];

        foreach (string[] command in new[]
        {
            new[] { "power-button" }, ["pause"], ["resume"], ["shutdown"], ["shutdown", "--force"],
            ["gpe", "5"], ["gpe", "0x0f"], ["wake"], ["wake", "--delay-ms", "1500"], ["sdei-signal", "0", "--cpu", "1"], ["sdei-signal", "3"],
        })
        {
            (int status, string stdout, string stderr) = await RunAsync([.. socket, .. command]);
            Assert.True(status == 0, $"{string.Join(' ', command)}: {stderr}");
            Assert.Empty(stdout);
        }
        (int last, _, _) = await RunAsync([$"--api-socket={api.SocketPath}", "wake", "--delay-ms=2"]);

        Assert.Equal(0, last);
        Assert.Equal(
            ["power-button", "pause", "resume", "shutdown", "shutdown force", "gpe 5", "gpe 15", "wake", "wake 1500ms", "sdei 0 cpu 1", "sdei 3", "wake 2ms"],
            api.Vm.Calls);
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task ARefusalIsStatus1WithTheVmmsReason()
    {
        await using TestApi api = await TestApi.StartAsync();
        api.Vm.ThrowNext = new VmStateException("the VM is not paused");

        (int status, string stdout, string stderr) = await RunAsync(["--api-socket", api.SocketPath, "resume"]);

        Assert.Equal(1, status);
        Assert.Empty(stdout);
        Assert.Contains("vireo: remote resume: the VM is not paused (HTTP 409 Conflict)", stderr);
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task NoServerIsStatus1NamingTheFix()
    {
        using var directory = new TempDirectory();

        (int status, _, string stderr) = await RunAsync(["--api-socket", directory.SocketPath, "info"]);

        Assert.Equal(1, status);
        Assert.Contains($"no Vireo API at {directory.SocketPath}: is `vireo run --api-socket {directory.SocketPath}` running?", stderr);
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task EventsPrintsJsonLinesUntilTheVmIsGone()
    {
        await using TestApi api = await TestApi.StartAsync();
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        Task<int> running = RemoteCommand.RunAsync(["--api-socket", api.SocketPath, "events"], stdout, stderr);
        await EventStreamTests.WaitUntilAsync(() => api.Vm.Events.SubscriberCount == 1);
        api.Vm.Events.Publish(VmEventNames.S2IdleEnter);
        api.Vm.Events.Publish(VmEventNames.Suspended);
        api.Vm.Events.Complete();

        Assert.Equal(0, await running.WaitAsync(TestApi.Timeout));
        string[] lines = stdout.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["s2idle-enter", "suspended"], lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("event").GetString()));
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task EventsStopsCleanlyWhenCancelled()
    {
        await using TestApi api = await TestApi.StartAsync();
        using var cts = new CancellationTokenSource();

        Task<int> running = RemoteCommand.RunAsync(["--api-socket", api.SocketPath, "events"], new StringWriter(), new StringWriter(), cts.Token);
        await EventStreamTests.WaitUntilAsync(() => api.Vm.Events.SubscriberCount == 1);
        await cts.CancelAsync();

        Assert.Equal(0, await running.WaitAsync(TestApi.Timeout));
        await EventStreamTests.WaitUntilAsync(() => api.Vm.Events.SubscriberCount == 0);
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task OpenApiPrintsTheDocument()
    {
        await using TestApi api = await TestApi.StartAsync();

        (int status, string stdout, _) = await RunAsync(["--api-socket", api.SocketPath, "openapi"]);

        Assert.Equal(0, status);
        using JsonDocument document = JsonDocument.Parse(stdout);
        Assert.StartsWith("3.", document.RootElement.GetProperty("openapi").GetString());
    }

    private static async Task<(int Status, string Stdout, string Stderr)> RunAsync(string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int status = await RemoteCommand.RunAsync(args, stdout, stderr).WaitAsync(TestApi.Timeout);
        return (status, stdout.ToString(), stderr.ToString());
    }
}
