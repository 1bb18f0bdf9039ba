using System.Text.Json;
using Vireo.Api;
using Vireo.Api.Http;

namespace Vireo.Api.Tests;

public sealed class EndpointTests
{
    [Fact(Timeout = TestLimits.TestMs)]
    public async Task PingNamesTheVersionAndProcess()
    {
        await using TestApi api = await TestApi.StartAsync(new ApiServerOptions { Version = "9.9-test" });

        ApiPing ping = await api.Client.PingAsync();

        Assert.Equal("9.9-test", ping.Version);
        Assert.Equal(Environment.ProcessId, ping.Pid);
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task InfoIsTheControllersSnapshotInSnakeCase()
    {
        await using TestApi api = await TestApi.StartAsync();
        api.Vm.InfoToReturn = new VmInfo(VmState.Paused, "s2idle", 4, 1L << 30, "/k", "quiet", 42, [FakeVmController.SampleDevice]);

        (int status, string body) = await api.SendAsync("GET", "/api/v1/vm.info");
        VmInfo info = await api.Client.GetInfoAsync();

        Assert.Equal(200, status);
        using JsonDocument document = JsonDocument.Parse(body);
        JsonElement root = document.RootElement;
        Assert.Equal("paused", root.GetProperty("state").GetString());
        Assert.Equal("s2idle", root.GetProperty("power_state").GetString());
        Assert.Equal(4, root.GetProperty("vcpus").GetInt32());
        Assert.Equal(1L << 30, root.GetProperty("memory_bytes").GetInt64());
        Assert.Equal(42, root.GetProperty("uptime_ms").GetInt64());
        Assert.Equal(api.Vm.InfoToReturn with { Devices = [] }, info with { Devices = [] });
        PciDeviceInfo device = Assert.Single(info.Devices);
        Assert.Equal(FakeVmController.SampleDevice with { Bars = [], Counters = null }, device with { Bars = [], Counters = null });
        Assert.Equal(FakeVmController.SampleDevice.Bars, device.Bars);
        Assert.Equal(FakeVmController.SampleDevice.Counters, device.Counters);
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task InfoListsDevicesWithHexIdsAndBarsWhoseUnplacedAddressIsNull()
    {
        await using TestApi api = await TestApi.StartAsync();

        (_, string body) = await api.SendAsync("GET", "/api/v1/vm.info");

        using JsonDocument document = JsonDocument.Parse(body);
        JsonElement device = Assert.Single(document.RootElement.GetProperty("devices").EnumerateArray());
        Assert.Equal(
            """{"id":"sample0","backend":"vfio-user","bdf":"0000:00:01.0","vendor_id":"1af4","device_id":"10f1","bars":[""" +
            """{"index":0,"kind":"memory32","size":4096,"prefetchable":false,"guest_address":3221225472},""" +
            """{"index":2,"kind":"memory64","size":65536,"prefetchable":true,"guest_address":null}],"interrupt_mode":"msix","alive":true,"power":"low-power","d_state":"D3cold","wake_armed":true""" +
            ""","notify_latency":{"count":3,"median_us":12.5,"p90_us":20,"max_us":31.2},"wake_latency":null,"counters":{"read_ops":3,"read_bytes":1536}}""",
            device.GetRawText());
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task EveryActionReachesTheController()
    {
        await using TestApi api = await TestApi.StartAsync();

        await api.Client.PowerButtonAsync();
        await api.Client.PauseAsync();
        await api.Client.ResumeAsync();
        await api.Client.ShutdownAsync();
        await api.Client.ShutdownAsync(force: true);
        await api.Client.RaiseGpeAsync(0);
        await api.Client.RaiseGpeAsync(15);
        await api.Client.SetDeviceLowPowerAsync("edu", true);
        await api.Client.SetDeviceLowPowerAsync("edu", false);
        await api.Client.WakeAsync();
        await api.Client.WakeAsync(TimeSpan.FromMilliseconds(250));

        Assert.Equal(
            ["power-button", "pause", "resume", "shutdown", "shutdown force", "gpe 0", "gpe 15", "device-power edu on", "device-power edu off", "wake", "wake 250ms"],
            api.Vm.Calls);
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task A_snapshot_request_carries_an_absolute_directory_and_a_running_vm_is_a_409_saying_pause_first()
    {
        await using TestApi api = await TestApi.StartAsync();

        await api.Client.SnapshotAsync("/var/lib/vireo/snap1");
        // The client resolves a relative directory against its own working directory.
        await api.Client.SnapshotAsync("snap2");
        var running = await Assert.ThrowsAsync<ApiClientException>(() => api.Client.SnapshotAsync("/running"));
        (int relative, string relativeBody) = await api.SendAsync("PUT", ApiPaths.VmSnapshot, """{"path": "snap"}""");
        (int empty, _) = await api.SendAsync("PUT", ApiPaths.VmSnapshot, """{"path": ""}""");
        (int missing, _) = await api.SendAsync("PUT", ApiPaths.VmSnapshot, "{}");
        (int unknown, _) = await api.SendAsync("PUT", ApiPaths.VmSnapshot, """{"path": "/a", "force": true}""");

        Assert.Equal(["snapshot /var/lib/vireo/snap1", "snapshot " + Path.GetFullPath("snap2")], api.Vm.Calls);
        Assert.Contains("`vireo remote pause` first", running.Message);
        Assert.Equal(400, relative);
        Assert.Contains("path must be an absolute directory path", relativeBody);
        Assert.Equal(400, empty);
        Assert.Equal(400, missing);
        Assert.Equal(400, unknown);
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task Sdei_signals_reach_the_controller_and_a_dropped_one_is_a_409_saying_why()
    {
        await using TestApi api = await TestApi.StartAsync();

        await api.Client.SignalSdeiAsync(0, 1);
        await api.Client.SignalSdeiAsync(0x4000_0000, null);
        var dropped = await Assert.ThrowsAsync<ApiClientException>(() => api.Client.SignalSdeiAsync(7, 0));
        (int negative, string negativeBody) = await api.SendAsync("PUT", ApiPaths.VmSdei, """{"event": 0, "cpu": -1}""");
        (int missing, _) = await api.SendAsync("PUT", ApiPaths.VmSdei, """{"cpu": 0}""");
        (int tooBig, _) = await api.SendAsync("PUT", ApiPaths.VmSdei, """{"event": 4294967296}""");

        Assert.Equal(["sdei 0 cpu 1", "sdei 1073741824"], api.Vm.Calls);
        Assert.Contains("SDEI event 7 is not registered on vCPU 0", dropped.Message);
        Assert.Equal(400, negative);
        Assert.Contains("cpu must be a vCPU index", negativeBody);
        Assert.Equal(400, missing);
        Assert.Equal(400, tooBig);
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task Device_power_for_an_unknown_device_is_a_400_naming_it_and_a_bad_body_names_the_fields()
    {
        await using TestApi api = await TestApi.StartAsync();

        var unknown = await Assert.ThrowsAsync<ApiClientException>(() => api.Client.SetDeviceLowPowerAsync("nic0", true));
        using var request = new HttpRequestMessage(HttpMethod.Put, ApiPaths.VmDevicePower) { Content = new StringContent("""{"id": "edu"}""") };
        using HttpResponseMessage response = await api.Raw.SendAsync(request);

        Assert.Contains("no assigned PCI device 'nic0'", unknown.Message);
        Assert.Equal(400, (int)response.StatusCode);
        Assert.Contains("low_power", await response.Content.ReadAsStringAsync());
    }

    [Theory(Timeout = TestLimits.TestMs)]
    [InlineData("/api/v1/vm.power-button", null)]
    [InlineData("/api/v1/vm.pause", null)]
    [InlineData("/api/v1/vm.pause", " \n")]
    [InlineData("/api/v1/vm.shutdown", null)]
    [InlineData("/api/v1/vm.shutdown", "{}")]
    [InlineData("/api/v1/vm.shutdown", """{"force": false}""")]
    [InlineData("/api/v1/vm.gpe", """{"gpe": 3}""")]
    [InlineData("/api/v1/vm.wake", null)]
    [InlineData("/api/v1/vm.wake", """{"delay_ms": null}""")]
    [InlineData("/api/v1/vm.wake", """{"delay_ms": 0}""")]
    public async Task ActionsAnswer204WithNoBody(string path, string? body)
    {
        await using TestApi api = await TestApi.StartAsync();

        (int status, string response) = await api.SendAsync("PUT", path, body);

        Assert.Equal(204, status);
        Assert.Empty(response);
        Assert.Single(api.Vm.Calls);
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task AnActionInTheWrongStateIs409WithTheControllersMessage()
    {
        await using TestApi api = await TestApi.StartAsync();
        api.Vm.ThrowNext = new VmStateException("the VM is already paused");

        (int status, string body) = await api.SendAsync("PUT", "/api/v1/vm.pause");
        await api.Client.ResumeAsync();

        Assert.Equal(409, status);
        Assert.Equal("the VM is already paused", TestApi.ErrorOf(body));
        Assert.Equal(["resume"], api.Vm.Calls);
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task TheClientReportsTheServersErrorAndStatus()
    {
        await using TestApi api = await TestApi.StartAsync();
        api.Vm.ThrowNext = new VmStateException("the guest is not suspended");

        var e = await Assert.ThrowsAsync<ApiClientException>(() => api.Client.WakeAsync());

        Assert.Equal(409, e.StatusCode);
        Assert.StartsWith("the guest is not suspended", e.Message);
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task AGpeTheMachineLacksIs400()
    {
        await using TestApi api = await TestApi.StartAsync();

        var e = await Assert.ThrowsAsync<ApiClientException>(() => api.Client.RaiseGpeAsync(FakeVmController.GpeCount));

        Assert.Equal(400, e.StatusCode);
        Assert.Contains("GPEs 0 to 15", e.Message);
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task AnUnsupportedActionIs501()
    {
        await using TestApi api = await TestApi.StartAsync();
        api.Vm.ThrowNext = new NotSupportedException("this machine has no s2idle support");

        (int status, string body) = await api.SendAsync("PUT", "/api/v1/vm.wake");

        Assert.Equal(501, status);
        Assert.Equal("this machine has no s2idle support", TestApi.ErrorOf(body));
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task AControllerBugIs500AndTheServerKeepsServing()
    {
        var log = new StringWriter();
        await using TestApi api = await TestApi.StartAsync(new ApiServerOptions { ErrorLog = log });
        api.Vm.ThrowNext = new NullReferenceException("oops");

        (int status, string body) = await api.SendAsync("PUT", "/api/v1/vm.power-button");
        await api.Client.PowerButtonAsync();

        Assert.Equal(500, status);
        Assert.Contains("NullReferenceException: oops", TestApi.ErrorOf(body));
        Assert.Contains("oops", log.ToString());
        Assert.Equal(["power-button"], api.Vm.Calls);
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task ConcurrentRequestsAreAllServed()
    {
        await using TestApi api = await TestApi.StartAsync();

        await Task.WhenAll(Enumerable.Range(0, 64).Select(i => i % 2 == 0
            ? api.Client.RaiseGpeAsync(i % FakeVmController.GpeCount)
            : api.Client.GetInfoAsync()));

        Assert.Equal(32, api.Vm.Calls.Count);
    }
}
