using System.Text.Json;
using Vireo.Api;
using Vireo.Api.Http;

namespace Vireo.Api.Tests;

/// <summary>The shipped OpenAPI document and the server agree.</summary>
public sealed class OpenApiTests
{
    [Fact(Timeout = TestLimits.TestMs)]
    public async Task EveryMappedRouteIsDocumentedAndEveryDocumentedRouteIsMapped()
    {
        await using TestApi api = await TestApi.StartAsync();

        var mapped = api.Server.Routes.Select(r => $"{r.Method} {r.Path}").Order().ToList();
        var documented = DocumentedOperations().Select(o => $"{o.Method} {o.Path}").Order().ToList();

        Assert.Equal(documented, mapped);
        Assert.Equal(13, mapped.Count);
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task EveryDocumentedOperationAnswers()
    {
        await using TestApi api = await TestApi.StartAsync();

        foreach ((string method, string path) in DocumentedOperations())
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), path);
            if (path.EndsWith("vm.gpe", StringComparison.Ordinal))
            {
                request.Content = new StringContent("""{"gpe": 1}""");
            }
            if (path.EndsWith("vm.sdei", StringComparison.Ordinal))
            {
                request.Content = new StringContent("""{"event": 0, "cpu": 1}""");
            }
            if (path.EndsWith("vm.snapshot", StringComparison.Ordinal))
            {
                request.Content = new StringContent("""{"path": "/tmp/snap"}""");
            }
            if (path.EndsWith("vm.device-power", StringComparison.Ordinal))
            {
                request.Content = new StringContent("""{"id": "edu", "low_power": true}""");
            }
            using HttpResponseMessage response = await api.Raw.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode}");
        }
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task TheServedDocumentIsTheEmbeddedOne()
    {
        await using TestApi api = await TestApi.StartAsync();

        string served = await api.Client.GetOpenApiAsync();

        Assert.Equal(System.Text.Encoding.UTF8.GetString(OpenApiDocument.Bytes.Span).TrimEnd(), served.TrimEnd());
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task TheSchemasNameTheFieldsTheServerSends()
    {
        await using TestApi api = await TestApi.StartAsync();
        using ApiEventStream stream = await api.Client.OpenEventsAsync();
        api.Vm.Events.Publish("tick");
        api.Vm.Events.Complete();
        string eventLine = "";
        await foreach (string line in stream.ReadLinesAsync())
        {
            eventLine = line;
        }

        string info = (await api.SendAsync("GET", "/api/v1/vm.info")).Body;
        Assert.Equal(SchemaProperties("VmInfo"), JsonKeys(info));
        using (JsonDocument document = JsonDocument.Parse(info))
        {
            JsonElement device = document.RootElement.GetProperty("devices")[0];
            Assert.Equal(SchemaProperties("PciDevice"), JsonKeys(device.GetRawText()));
            Assert.Equal(SchemaProperties("PciBar"), JsonKeys(device.GetProperty("bars")[0].GetRawText()));
        }
        Assert.Equal(SchemaProperties("Ping"), JsonKeys((await api.SendAsync("GET", "/api/v1/vmm.ping")).Body));
        Assert.Equal(SchemaProperties("VmEvent"), JsonKeys(eventLine));
        Assert.Equal(SchemaProperties("Error"), JsonKeys((await api.SendAsync("GET", "/api/v1/nope")).Body));
    }

    private static List<(string Method, string Path)> DocumentedOperations()
    {
        using JsonDocument document = JsonDocument.Parse(OpenApiDocument.Bytes);
        string prefix = new Uri(document.RootElement.GetProperty("servers")[0].GetProperty("url").GetString()!).AbsolutePath;
        Assert.Equal("/api/v1", prefix);
        return [.. document.RootElement.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject().Select(op => (op.Name.ToUpperInvariant(), prefix + path.Name)))];
    }

    private static List<string> SchemaProperties(string schema)
    {
        using JsonDocument document = JsonDocument.Parse(OpenApiDocument.Bytes);
        return [.. document.RootElement.GetProperty("components").GetProperty("schemas").GetProperty(schema)
            .GetProperty("properties").EnumerateObject().Select(p => p.Name).Order()];
    }

    private static List<string> JsonKeys(string json)
    {
        using JsonDocument document = JsonDocument.Parse(json);
        return [.. document.RootElement.EnumerateObject().Select(p => p.Name).Order()];
    }
}
