using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Vireo.Api;

namespace Vireo.Api.Tests;

/// <summary>A real <see cref="ApiServer"/> on a UNIX socket in a fresh temp directory, with a fake
/// VM behind it, a typed client and a raw HTTP client for requests the typed one cannot make.</summary>
internal sealed class TestApi : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private TestApi(TempDirectory directory, ApiServer server, FakeVmController vm)
    {
        Directory = directory;
        Server = server;
        Vm = vm;
        Client = new ApiClient(server.SocketPath, Timeout);
        Raw = CreateRawClient(server.SocketPath);
    }

    public TempDirectory Directory { get; }

    public ApiServer Server { get; }

    public FakeVmController Vm { get; }

    public ApiClient Client { get; }

    public HttpClient Raw { get; }

    public string SocketPath => Server.SocketPath;

    public static async Task<TestApi> StartAsync(ApiServerOptions? options = null)
    {
        var directory = new TempDirectory();
        var vm = new FakeVmController();
        try
        {
            ApiServer server = await ApiServer.StartAsync(directory.SocketPath, vm, options);
            return new TestApi(directory, server, vm);
        }
        catch
        {
            directory.Dispose();
            throw;
        }
    }

    public static HttpClient CreateRawClient(string socketPath)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        return new HttpClient(handler) { BaseAddress = new Uri("http://localhost"), Timeout = Timeout };
    }

    /// <summary>Sends a request with an arbitrary method and body; returns the status and body.</summary>
    public async Task<(int Status, string Body)> SendAsync(string method, string path, string? body = null)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }
        using HttpResponseMessage response = await Raw.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>The error message of a JSON error body; fails the test if the body is not one.</summary>
    public static string ErrorOf(string body)
    {
        using JsonDocument document = JsonDocument.Parse(body);
        Assert.Equal(JsonValueKind.Object, document.RootElement.ValueKind);
        string? message = document.RootElement.GetProperty("error").GetString();
        Assert.False(string.IsNullOrWhiteSpace(message));
        return message!;
    }

    public async ValueTask DisposeAsync()
    {
        Raw.Dispose();
        Client.Dispose();
        await Server.DisposeAsync();
        Directory.Dispose();
    }
}
