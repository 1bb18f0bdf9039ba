using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Vireo.Api.Http;

namespace Vireo.Api;

/// <summary>Client of the management API over its UNIX socket; what <c>vireo remote</c> uses.
/// Failures are <see cref="ApiClientException"/>s whose message can be shown as is.</summary>
public sealed class ApiClient : IDisposable
{
    /// <summary>How long a call waits for the server's answer unless the constructor is given another limit.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    private readonly HttpClient _http;
    private readonly TimeSpan _timeout;

    /// <summary>A client for the server on <paramref name="socketPath"/>; nothing connects until the first call.</summary>
    /// <param name="socketPath">The API socket, as given to <c>vireo run --api-socket</c>.</param>
    /// <param name="timeout">How long each call may take; <see cref="DefaultTimeout"/> when null.</param>
    public ApiClient(string socketPath, TimeSpan? timeout = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(socketPath);
        SocketPath = socketPath;
        _timeout = timeout ?? DefaultTimeout;
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
            UseProxy = false,
            AllowAutoRedirect = false,
        };
        // The host name is never resolved: every connection goes to the socket.
        _http = new HttpClient(handler) { BaseAddress = new Uri("http://localhost"), Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>The socket every call connects to.</summary>
    public string SocketPath { get; }

    /// <summary><c>GET vmm.ping</c>: whether a VMM answers, and its version.</summary>
    /// <exception cref="ApiClientException">No server answered, or it answered with an error.</exception>
    public async Task<ApiPing> PingAsync(CancellationToken cancellationToken = default) =>
        Parse(await GetStringAsync(ApiPaths.VmmPing, cancellationToken).ConfigureAwait(false), ApiJsonContext.Default.ApiPing);

    /// <summary><c>GET vm.info</c>: the VM's state and configuration.</summary>
    /// <exception cref="ApiClientException">No server answered, or it answered with an error.</exception>
    public async Task<VmInfo> GetInfoAsync(CancellationToken cancellationToken = default) =>
        Parse(await GetStringAsync(ApiPaths.VmInfo, cancellationToken).ConfigureAwait(false), ApiJsonContext.Default.VmInfo);

    /// <summary><c>GET openapi</c>: the server's OpenAPI document, as JSON text.</summary>
    /// <exception cref="ApiClientException">No server answered, or it answered with an error.</exception>
    public Task<string> GetOpenApiAsync(CancellationToken cancellationToken = default) =>
        GetStringAsync(ApiPaths.OpenApi, cancellationToken);

    /// <summary><c>PUT vm.power-button</c>: presses the ACPI power button; the guest decides what to do.</summary>
    /// <exception cref="ApiClientException">No server answered, or it answered with an error.</exception>
    public Task PowerButtonAsync(CancellationToken cancellationToken = default) =>
        PutAsync(ApiPaths.VmPowerButton, null, cancellationToken);

    /// <summary><c>PUT vm.shutdown</c>: ends the VM, by asking the guest to power off or, with <paramref name="force"/>, by stopping the vCPUs at once.</summary>
    /// <param name="force">Stop the vCPUs at once instead of asking the guest.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ApiClientException">No server answered, or it answered with an error.</exception>
    public Task ShutdownAsync(bool force = false, CancellationToken cancellationToken = default) =>
        PutAsync(ApiPaths.VmShutdown, Serialize(new ShutdownRequest { Force = force }, ApiJsonContext.Default.ShutdownRequest), cancellationToken);

    /// <summary><c>PUT vm.pause</c>: stops the vCPUs until <see cref="ResumeAsync"/>.</summary>
    /// <exception cref="ApiClientException">No server answered, or it answered with an error.</exception>
    public Task PauseAsync(CancellationToken cancellationToken = default) =>
        PutAsync(ApiPaths.VmPause, null, cancellationToken);

    /// <summary><c>PUT vm.resume</c>: lets paused vCPUs run again.</summary>
    /// <exception cref="ApiClientException">No server answered, or it answered with an error.</exception>
    public Task ResumeAsync(CancellationToken cancellationToken = default) =>
        PutAsync(ApiPaths.VmResume, null, cancellationToken);

    /// <summary><c>PUT vm.gpe</c>: raises general-purpose event <paramref name="gpe"/> in the guest's GPE0 block.</summary>
    /// <param name="gpe">The GPE number.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ApiClientException">No server answered, or it answered with an error (an invalid GPE among them).</exception>
    public Task RaiseGpeAsync(int gpe, CancellationToken cancellationToken = default) =>
        PutAsync(ApiPaths.VmGpe, Serialize(new GpeRequest { Gpe = gpe }, ApiJsonContext.Default.GpeRequest), cancellationToken);

    /// <summary><c>PUT vm.wake</c>: wakes a guest suspended to idle, now or after <paramref name="delay"/>.</summary>
    /// <param name="delay">How long the server waits before it wakes the guest (whole milliseconds, at most a day); now when null.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ApiClientException">No server answered, or it answered with an error.</exception>
    public Task WakeAsync(TimeSpan? delay = null, CancellationToken cancellationToken = default) =>
        PutAsync(ApiPaths.VmWake,
            delay is TimeSpan d ? Serialize(new WakeRequest { DelayMs = (long)d.TotalMilliseconds }, ApiJsonContext.Default.WakeRequest) : null,
            cancellationToken);

    /// <summary>Opens <c>vm.events</c>; returns once the server has subscribed this client.</summary>
    public async Task<ApiEventStream> OpenEventsAsync(CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, ApiPaths.VmEvents);
        HttpResponseMessage response = await SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        try
        {
            Stream body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            return new ApiEventStream(response, body, SocketPath);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <summary>The event stream as JSON lines, until the server ends it or the token fires.</summary>
    public async IAsyncEnumerable<string> ReadEventLinesAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using ApiEventStream stream = await OpenEventsAsync(cancellationToken).ConfigureAwait(false);
        await foreach (string line in stream.ReadLinesAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return line;
        }
    }

    /// <summary>Closes the client's connections.</summary>
    public void Dispose() => _http.Dispose();

    internal async Task<string> GetStringAsync(string path, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        using HttpResponseMessage response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        return await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task PutAsync(string path, string? json, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, path);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, ApiJson.ContentType);
        }
        using HttpResponseMessage response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends, turning every failure into an <see cref="ApiClientException"/> and every
    /// non-2xx answer into one carrying the server's error message.</summary>
    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        string what = $"{request.Method} {request.RequestUri}";
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_timeout);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, completion, timeout.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                using (response)
                {
                    string body = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
                    throw new ApiClientException(ErrorMessage(body, response), (int)response.StatusCode);
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ApiClientException($"the Vireo API at {SocketPath} did not answer {what} within {_timeout.TotalSeconds:0.#} s");
        }
        catch (HttpRequestException e)
        {
            throw new ApiClientException(ConnectionMessage(e), null, e);
        }
        return response;
    }

    private string ConnectionMessage(HttpRequestException e) =>
        (e.InnerException as SocketException)?.SocketErrorCode switch
        {
            SocketError.ConnectionRefused or SocketError.AddressNotAvailable or SocketError.AddressFamilyNotSupported =>
                NoServerMessage(),
            SocketError.AccessDenied =>
                $"cannot connect to {SocketPath}: permission denied; run as the user that started the VM (the socket is mode 0600)",
            _ when !File.Exists(SocketPath) => NoServerMessage(),
            _ => $"cannot talk to the Vireo API at {SocketPath}: {e.Message}",
        };

    private string NoServerMessage() =>
        $"no Vireo API at {SocketPath}: is `vireo run --api-socket {SocketPath}` running?";

    private static string ErrorMessage(string body, HttpResponseMessage response)
    {
        string status = $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}";
        try
        {
            ErrorBody? error = JsonSerializer.Deserialize(body, ApiJsonContext.Default.ErrorBody);
            if (error is { Error.Length: > 0 })
            {
                return $"{error.Error} ({status})";
            }
        }
        catch (JsonException)
        {
            // Not our JSON error: fall back to the raw text.
        }
        return body.Length > 0 ? $"{status}: {body.Trim()}" : status;
    }

    private static string Serialize<T>(T value, JsonTypeInfo<T> type) => JsonSerializer.Serialize(value, type);

    private T Parse<T>(string json, JsonTypeInfo<T> type)
    {
        try
        {
            return JsonSerializer.Deserialize(json, type)
                ?? throw new ApiClientException($"{SocketPath} answered null instead of a {typeof(T).Name}");
        }
        catch (JsonException e)
        {
            throw new ApiClientException($"{SocketPath} answered something that is not a {typeof(T).Name}: {e.Message}", null, e);
        }
    }
}
