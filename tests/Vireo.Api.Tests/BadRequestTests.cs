using System.Net.Sockets;
using System.Text;

namespace Vireo.Api.Tests;

/// <summary>Whatever a client sends, it gets a 4xx with a JSON error and the server keeps serving.</summary>
public sealed class BadRequestTests
{
    [Theory(Timeout = TestLimits.TestMs)]
    // Malformed JSON and bodies of the wrong shape.
    [InlineData("PUT", "/api/v1/vm.gpe", "{", 400)]
    [InlineData("PUT", "/api/v1/vm.gpe", "gpe=3", 400)]
    [InlineData("PUT", "/api/v1/vm.gpe", "", 400)]
    [InlineData("PUT", "/api/v1/vm.gpe", "null", 400)]
    [InlineData("PUT", "/api/v1/vm.gpe", "[]", 400)]
    [InlineData("PUT", "/api/v1/vm.gpe", "3", 400)]
    [InlineData("PUT", "/api/v1/vm.gpe", "{}", 400)]
    [InlineData("PUT", "/api/v1/vm.gpe", """{"gpe": 3} {"gpe": 4}""", 400)]
    [InlineData("PUT", "/api/v1/vm.gpe", """{"gpe": 3, "gpe": 4}""", 400)]
    [InlineData("PUT", "/api/v1/vm.gpe", """{"gpe": 3, "extra": 1}""", 400)]
    // Wrong types.
    [InlineData("PUT", "/api/v1/vm.gpe", """{"gpe": "3"}""", 400)]
    [InlineData("PUT", "/api/v1/vm.gpe", """{"gpe": 3.5}""", 400)]
    [InlineData("PUT", "/api/v1/vm.gpe", """{"gpe": true}""", 400)]
    [InlineData("PUT", "/api/v1/vm.gpe", """{"gpe": null}""", 400)]
    [InlineData("PUT", "/api/v1/vm.gpe", """{"gpe": [3]}""", 400)]
    [InlineData("PUT", "/api/v1/vm.shutdown", """{"force": "yes"}""", 400)]
    [InlineData("PUT", "/api/v1/vm.shutdown", """{"force": 1}""", 400)]
    [InlineData("PUT", "/api/v1/vm.shutdown", """{"forse": true}""", 400)]
    [InlineData("PUT", "/api/v1/vm.wake", """{"delay_ms": "5"}""", 400)]
    [InlineData("PUT", "/api/v1/vm.wake", """{"delay": 5}""", 400)]
    // Numbers out of range: negative, beyond the ACPI range, beyond int, beyond any number.
    [InlineData("PUT", "/api/v1/vm.gpe", """{"gpe": -1}""", 400)]
    [InlineData("PUT", "/api/v1/vm.gpe", """{"gpe": -2147483648}""", 400)]
    [InlineData("PUT", "/api/v1/vm.gpe", """{"gpe": 256}""", 400)]
    [InlineData("PUT", "/api/v1/vm.gpe", """{"gpe": 200}""", 400)]
    [InlineData("PUT", "/api/v1/vm.gpe", """{"gpe": 2147483648}""", 400)]
    [InlineData("PUT", "/api/v1/vm.gpe", """{"gpe": 99999999999999999999999}""", 400)]
    [InlineData("PUT", "/api/v1/vm.gpe", """{"gpe": 1e999}""", 400)]
    [InlineData("PUT", "/api/v1/vm.wake", """{"delay_ms": -1}""", 400)]
    [InlineData("PUT", "/api/v1/vm.wake", """{"delay_ms": 86400001}""", 400)]
    [InlineData("PUT", "/api/v1/vm.wake", """{"delay_ms": 1e20}""", 400)]
    // Found by fuzzing: escaped lone surrogates are JSON but not text (the serializer threw, a 500).
    [InlineData("PUT", "/api/v1/vm.device-power", """{"id": "\ud800", "low_power": true}""", 400)]
    [InlineData("PUT", "/api/v1/vm.gpe", """{"\udc00": 3}""", 400)]
    [InlineData("PUT", "/api/v1/vm.device-power", """{"id": 5, "low_power": true}""", 400)]
    // A body where none is taken.
    [InlineData("PUT", "/api/v1/vm.pause", "{}", 400)]
    [InlineData("PUT", "/api/v1/vm.power-button", "press", 400)]
    // Unknown paths.
    [InlineData("GET", "/", null, 404)]
    [InlineData("GET", "/api/v1/vm.nope", null, 404)]
    [InlineData("PUT", "/api/v1/vm.nope", "{}", 404)]
    [InlineData("GET", "/api/v2/vm.info", null, 404)]
    [InlineData("GET", "/api/v1/vm.info/extra", null, 404)]
    [InlineData("GET", "/api/v1/VM.INFO/../vm.info/x", null, 404)]
    // Wrong methods.
    [InlineData("PUT", "/api/v1/vm.info", null, 405)]
    [InlineData("POST", "/api/v1/vm.info", "{}", 405)]
    [InlineData("GET", "/api/v1/vm.pause", null, 405)]
    [InlineData("POST", "/api/v1/vm.gpe", """{"gpe": 3}""", 405)]
    [InlineData("DELETE", "/api/v1/vm.events", null, 405)]
    [InlineData("PATCH", "/api/v1/vm.shutdown", "{}", 405)]
    public async Task ABadRequestIs4xxWithAJsonErrorAndTheServerCarriesOn(string method, string path, string? body, int expected)
    {
        await using TestApi api = await TestApi.StartAsync();

        (int status, string response) = await api.SendAsync(method, path, body);

        Assert.Equal(expected, status);
        AssertApiWording(TestApi.ErrorOf(response));
        Assert.Empty(api.Vm.Calls);
        Assert.NotNull(await api.Client.GetInfoAsync());
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task ErrorsSayWhatIsWrong()
    {
        await using TestApi api = await TestApi.StartAsync();

        (_, string range) = await api.SendAsync("PUT", "/api/v1/vm.gpe", """{"gpe": 300}""");
        (_, string missing) = await api.SendAsync("PUT", "/api/v1/vm.gpe");
        (_, string type) = await api.SendAsync("PUT", "/api/v1/vm.gpe", """{"gpe": "3"}""");
        (_, string path) = await api.SendAsync("GET", "/api/v1/vm.nope");
        (_, string method) = await api.SendAsync("GET", "/api/v1/vm.pause");

        Assert.Contains("gpe must be 0 to 255", TestApi.ErrorOf(range));
        Assert.Contains("""needs a JSON body like {"gpe": 3}""", TestApi.ErrorOf(missing));
        Assert.Contains("gpe must be an integer", TestApi.ErrorOf(type));
        Assert.Contains("GET /api/v1/openapi", TestApi.ErrorOf(path));
        Assert.Contains("GET is not allowed on /api/v1/vm.pause", TestApi.ErrorOf(method));
    }

    [Theory(Timeout = TestLimits.TestMs)]
    [InlineData("""{""", "not valid JSON")]
    [InlineData("""{"gpe": 3} {"gpe": 4}""", "not valid JSON")]
    [InlineData("[]", """a JSON object like {"gpe": 3}""")]
    [InlineData("null", """a JSON object like {"gpe": 3}""")]
    [InlineData("{}", "gpe is required")]
    [InlineData("""{"gpe": 3, "gpe": 4}""", "gpe is given twice")]
    [InlineData("""{"gpe": 3, "extra": 1}""", "unknown field extra; the fields are gpe")]
    [InlineData("""{"gpe": "3"}""", "gpe must be an integer, not a string")]
    [InlineData("""{"gpe": 3.5}""", "gpe must be an integer, not 3.5")]
    [InlineData("""{"gpe": null}""", "gpe must be an integer, not null")]
    [InlineData("""{"gpe": 2147483648}""", "gpe must be an integer from -2147483648 to 2147483647, not 2147483648")]
    public async Task AMalformedBodyIsExplainedInTheApisWords(string body, string expected)
    {
        await using TestApi api = await TestApi.StartAsync();

        (int status, string response) = await api.SendAsync("PUT", "/api/v1/vm.gpe", body);

        Assert.Equal(400, status);
        string message = TestApi.ErrorOf(response);
        Assert.Contains(expected, message);
        AssertApiWording(message);
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task AnArgumentTheMachineRefusesIsExplainedInTheApisWords()
    {
        await using TestApi api = await TestApi.StartAsync();

        // The fake VM has 16 GPEs and throws ArgumentOutOfRangeException beyond, as the real one does.
        (int status, string response) = await api.SendAsync("PUT", "/api/v1/vm.gpe", """{"gpe": 200}""");

        Assert.Equal(400, status);
        string message = TestApi.ErrorOf(response);
        Assert.Equal("gpe 200 is out of range: this VM has GPEs 0 to 15", message);
        AssertApiWording(message);
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task AChunkSizeThatOverflowsIs400WithoutAStackTrace()
    {
        var log = new StringWriter();
        await using TestApi api = await TestApi.StartAsync(new ApiServerOptions { ErrorLog = log });

        (int status, string body) = await RawHttp.ExchangeAsync(api.SocketPath,
            "PUT /api/v1/vm.gpe HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n{\"gpe\": 3}\r\n0\r\n\r\n");

        Assert.Equal(400, status);
        Assert.Contains("chunk", TestApi.ErrorOf(body));
        AssertApiWording(TestApi.ErrorOf(body));
        Assert.DoesNotContain("   at ", log.ToString());
        Assert.Empty(api.Vm.Calls);
        Assert.NotNull(await api.Client.GetInfoAsync());
    }

    /// <summary>An error says what was wrong in the API's terms: no .NET type names, parameter
    /// suffixes or serializer positions.</summary>
    private static void AssertApiWording(string message)
    {
        foreach (string leak in new[] { "Actual value was", "(Parameter '", "System.", "Vireo.", "LineNumber", "BytePositionInLine", ".NET", "Path: $", "JSON value could not be converted" })
        {
            Assert.DoesNotContain(leak, message);
        }
    }

    [Theory(Timeout = TestLimits.TestMs)]
    [InlineData("/api/v1/vm.gpe")]
    [InlineData("/api/v1/vm.pause")]
    [InlineData("/api/v1/vm.shutdown")]
    public async Task AnOversizedBodyIs413(string path)
    {
        await using TestApi api = await TestApi.StartAsync(new ApiServerOptions { MaxRequestBodyBytes = 1024 });
        string body = "{\"gpe\": 3, \"padding\": \"" + new string('x', 4000) + "\"}";

        (int status, string response) = await api.SendAsync("PUT", path, body);

        Assert.Equal(413, status);
        Assert.Contains("at most 1024 bytes", TestApi.ErrorOf(response));
        Assert.Empty(api.Vm.Calls);
        await api.Client.PowerButtonAsync();
        Assert.Equal(["power-button"], api.Vm.Calls);
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task AnOversizedChunkedBodyIs413()
    {
        await using TestApi api = await TestApi.StartAsync(new ApiServerOptions { MaxRequestBodyBytes = 1024 });
        using var request = new HttpRequestMessage(HttpMethod.Put, "/api/v1/vm.gpe")
        {
            Content = new StreamContent(new MemoryStream(new byte[64 * 1024])),
        };
        request.Headers.TransferEncodingChunked = true;

        using HttpResponseMessage response = await api.Raw.SendAsync(request);

        Assert.Equal(413, (int)response.StatusCode);
        TestApi.ErrorOf(await response.Content.ReadAsStringAsync());
        Assert.NotNull(await api.Client.GetInfoAsync());
    }

    [Theory(Timeout = TestLimits.TestMs)]
    [InlineData("GARBAGE\r\n\r\n")]
    [InlineData("PUT /api/v1/vm.gpe HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n")]
    [InlineData("PUT /api/v1/vm.gpe HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"gpe\"")]
    [InlineData("GET /api/v1/vm.info HTTP/1.1\r\n")]
    [InlineData("\0\0\0\0\u00ff\u00fe")]
    public async Task BrokenHttpDoesNotHurtTheServer(string bytes)
    {
        await using TestApi api = await TestApi.StartAsync();
        using (var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(api.SocketPath));
            await socket.SendAsync(Encoding.Latin1.GetBytes(bytes));
            socket.Shutdown(SocketShutdown.Send);
            byte[] buffer = new byte[4096];
            using var cts = new CancellationTokenSource(TestApi.Timeout);
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token) > 0)
            {
                // Drain whatever the server answers until it closes the connection.
            }
        }

        Assert.NotNull(await api.Client.GetInfoAsync());
        Assert.Empty(api.Vm.Calls);
    }
}
