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

    // Far more than any answer of this API (the OpenAPI document is the largest).
    private const int MaxAnswerBytes = 1024 * 1024;

    private readonly TimeSpan _timeout;

    /// <summary>A client for the server on <paramref name="socketPath"/>; nothing connects until the first call.</summary>
    /// <param name="socketPath">The API socket, as given to <c>vireo run --api-socket</c>.</param>
    /// <param name="timeout">How long each call may take; <see cref="DefaultTimeout"/> when null.</param>
    public ApiClient(string socketPath, TimeSpan? timeout = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(socketPath);
        SocketPath = socketPath;
        _timeout = timeout ?? DefaultTimeout;
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

    /// <summary><c>PUT vm.power-button</c>: presses the guest's power button (the ACPI one on a PC, the GPIO power key on arm64); the guest decides what to do.</summary>
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

    /// <summary><c>PUT vm.device-power</c>: lets assigned device <paramref name="id"/> enter low power, or brings it back.</summary>
    /// <param name="id">The device's id.</param>
    /// <param name="lowPower">True to enter low power, false to leave it.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ApiClientException">No server answered, or it refused (no such device, no power management).</exception>
    public Task SetDeviceLowPowerAsync(string id, bool lowPower, CancellationToken cancellationToken = default) =>
        PutAsync(ApiPaths.VmDevicePower, Serialize(new DevicePowerRequest { Id = id, LowPower = lowPower }, ApiJsonContext.Default.DevicePowerRequest), cancellationToken);

    /// <summary><c>PUT vm.gpe</c>: raises general-purpose event <paramref name="gpe"/> in the guest's GPE0 block.</summary>
    /// <param name="gpe">The GPE number.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ApiClientException">No server answered, or it answered with an error (an invalid GPE among them).</exception>
    public Task RaiseGpeAsync(int gpe, CancellationToken cancellationToken = default) =>
        PutAsync(ApiPaths.VmGpe, Serialize(new GpeRequest { Gpe = gpe }, ApiJsonContext.Default.GpeRequest), cancellationToken);

    /// <summary><c>PUT vm.sdei</c>: signals SDEI event <paramref name="eventNumber"/> from the host.</summary>
    /// <param name="eventNumber">The SDEI event number.</param>
    /// <param name="cpu">The vCPU for a private event; null for every vCPU, or for a shared event.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ApiClientException">No server answered, or it refused (no SDEI on this machine, an event the guest has not registered there).</exception>
    public Task SignalSdeiAsync(uint eventNumber, int? cpu, CancellationToken cancellationToken = default) =>
        PutAsync(ApiPaths.VmSdei, Serialize(new SdeiSignalRequest { Event = eventNumber, Cpu = cpu }, ApiJsonContext.Default.SdeiSignalRequest), cancellationToken);

    /// <summary><c>PUT vm.snapshot</c>: writes a snapshot of the paused VM into <paramref name="directory"/>.</summary>
    /// <param name="directory">The snapshot's directory; a relative path is taken from this process's working directory.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ApiClientException">No server answered, or it refused (the VM is not paused, a machine without snapshots, the directory holds one already, a write failed).</exception>
    public Task SnapshotAsync(string directory, CancellationToken cancellationToken = default) =>
        PutAsync(ApiPaths.VmSnapshot, Serialize(new SnapshotRequest { Path = Path.GetFullPath(directory) }, ApiJsonContext.Default.SnapshotRequest), cancellationToken);

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
        // The deadline covers the answer's head only: the stream then lasts as long as it lasts.
        using var timeout = Deadline(cancellationToken);
        ApiResponse response = await SendAsync("GET", ApiPaths.VmEvents, null, cancellationToken, timeout).ConfigureAwait(false);
        return new ApiEventStream(response.Body, SocketPath);
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

    /// <summary>Nothing to release: every call has its own connection, closed when it returns.</summary>
    public void Dispose()
    {
    }

    internal async Task<string> GetStringAsync(string path, CancellationToken cancellationToken)
    {
        using var timeout = Deadline(cancellationToken);
        using ApiResponse response = await SendAsync("GET", path, null, cancellationToken, timeout).ConfigureAwait(false);
        return await ReadAsync(response, $"GET {path}", cancellationToken, timeout).ConfigureAwait(false);
    }

    private async Task PutAsync(string path, string? json, CancellationToken cancellationToken)
    {
        using var timeout = Deadline(cancellationToken);
        using ApiResponse response = await SendAsync("PUT", path, json, cancellationToken, timeout).ConfigureAwait(false);
        await ReadAsync(response, $"PUT {path}", cancellationToken, timeout).ConfigureAwait(false);
    }

    /// <summary>Connects, sends one request (HTTP/1.1, Connection: close) and reads the answer's
    /// head, turning every failure into an <see cref="ApiClientException"/> and every non-2xx
    /// answer into one carrying the server's error message.</summary>
    private async Task<ApiResponse> SendAsync(string method, string path, string? json, CancellationToken cancellationToken, CancellationTokenSource timeout)
    {
        string what = $"{method} {path}";
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        bool handedOver = false;
        try
        {
            try
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(SocketPath), timeout.Token).ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                throw new ApiClientException(ConnectionMessage(e), null, e);
            }
            var connection = new NetworkStream(socket, ownsSocket: true);
            await connection.WriteAsync(Request(method, path, json), timeout.Token).ConfigureAwait(false);
            ApiResponse response = await ApiResponse.ReadAsync(connection, timeout.Token).ConfigureAwait(false);
            if (!response.IsSuccess)
            {
                using (response)
                {
                    string body = await response.ReadBodyAsync(MaxAnswerBytes, timeout.Token).ConfigureAwait(false);
                    throw new ApiClientException(ErrorMessage(body, response), response.StatusCode);
                }
            }
            handedOver = true; // The answer owns the connection now.
            return response;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw TimedOut(what);
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            throw new ApiClientException($"cannot talk to the Vireo API at {SocketPath}: {e.Message}", null, e);
        }
        finally
        {
            if (!handedOver)
            {
                socket.Dispose(); // Closes the connection too, when there is one.
            }
        }
    }

    private async Task<string> ReadAsync(ApiResponse response, string what, CancellationToken cancellationToken, CancellationTokenSource timeout)
    {
        try
        {
            return await response.ReadBodyAsync(MaxAnswerBytes, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw TimedOut(what);
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            throw new ApiClientException($"cannot talk to the Vireo API at {SocketPath}: {e.Message}", null, e);
        }
    }

    private CancellationTokenSource Deadline(CancellationToken cancellationToken)
    {
        var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_timeout);
        return timeout;
    }

    private ApiClientException TimedOut(string what) =>
        new($"the Vireo API at {SocketPath} did not answer {what} within {_timeout.TotalSeconds:0.#} s");

    private static byte[] Request(string method, string path, string? json)
    {
        byte[] body = json is null ? [] : Encoding.UTF8.GetBytes(json);
        string head = json is null
            ? $"{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
            : $"{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: {ApiJson.ContentType}\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n";
        return [.. Encoding.ASCII.GetBytes(head), .. body];
    }

    private string ConnectionMessage(SocketException e) =>
        e.SocketErrorCode switch
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

    private static string ErrorMessage(string body, ApiResponse response)
    {
        string status = $"HTTP {response.StatusCode} {response.Reason}";
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
