using System.Net.Sockets;
using Vireo.Api.Http;
using Vireo.Api.Resources;

namespace Vireo.Api;

/// <summary>The management API: HTTP/1.1 on a UNIX socket, versioned paths under /api/v1 like
/// cloud-hypervisor's (PUT for actions, GET for information and the event stream), JSON in and
/// out, and a JSON error for every 4xx/5xx. Dispose to stop it and remove the socket file.</summary>
/// <remarks>Vireo's own small server (<see cref="HttpConnection"/>): one accept loop and a task
/// per connection. It replaced ASP.NET Core's Kestrel, which was most of the NativeAOT binary and of the VMM's
/// resident memory even when no API socket was asked for.</remarks>
public sealed class ApiServer : IAsyncDisposable
{
    private static readonly TimeSpan s_stopTimeout = TimeSpan.FromSeconds(5);

    // The kernel clamps this to net.core.somaxconn; connections beyond the slots are answered,
    // not left in the backlog.
    private const int Backlog = 512;

    private readonly Socket _listener;
    private readonly ApiRouter _router;
    private readonly ConnectionSlots _slots;
    private readonly HttpLimits _limits;
    private readonly TextWriter? _errorLog;
    private readonly CancellationTokenSource _stopping;
    private Task _acceptLoop = Task.CompletedTask;
    private int _disposed;

    private ApiServer(string socketPath, Socket listener, ApiRouter router, ApiServerOptions options, CancellationTokenSource stopping)
    {
        SocketPath = socketPath;
        _listener = listener;
        _router = router;
        _slots = new ConnectionSlots(options.MaxConnections);
        _limits = new HttpLimits
        {
            MaxBodyBytes = options.MaxRequestBodyBytes,
            RequestTimeout = options.RequestTimeout,
            KeepAliveTimeout = options.KeepAliveTimeout,
        };
        _errorLog = options.ErrorLog;
        _stopping = stopping;
    }

    /// <summary>The UNIX socket the server listens on; it is removed on dispose.</summary>
    public string SocketPath { get; }

    /// <summary>Every (method, path) the server maps, for the OpenAPI check.</summary>
    internal IReadOnlyList<(string Method, string Path)> Routes
    {
        get
        {
            var routes = new List<(string, string)>(_router.Routes.Count);
            foreach (ApiRoute route in _router.Routes)
            {
                routes.Add((route.Method, route.Path));
            }
            return routes;
        }
    }

    /// <summary>Creates the socket at <paramref name="socketPath"/> and starts serving
    /// <paramref name="vm"/>. The socket appears there already with its mode and owner (see
    /// <see cref="ApiServerOptions.SocketMode"/>); if they cannot be set the server does not start.
    /// A stale socket file left by a dead server is replaced; a live server or a non-socket file
    /// at the path is an <see cref="IOException"/> that names the way out.</summary>
    public static Task<ApiServer> StartAsync(string socketPath, IVmm vm, ApiServerOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        // Nothing here waits, but failures still arrive through the task, as from any async start.
        try
        {
            return Task.FromResult(Start(socketPath, vm, options, cancellationToken));
        }
        catch (Exception e)
        {
            return Task.FromException<ApiServer>(e);
        }
    }

    private static ApiServer Start(string socketPath, IVmm vm, ApiServerOptions? options, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(socketPath);
        ArgumentNullException.ThrowIfNull(vm);
        options ??= new ApiServerOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxRequestBodyBytes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.EventBufferCapacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxConnections, 1);
        if (options.SocketMode == 0 || (options.SocketMode & ~ApiServerOptions.SocketModeBits) != 0)
        {
            throw new ArgumentException(
                $"the API socket mode must be read/write bits only (such as 0600 or 0660), not 0{Convert.ToString((int)options.SocketMode, 8)}", nameof(options));
        }
        cancellationToken.ThrowIfCancellationRequested();

        SocketFile.Prepare(socketPath);
        using PrivateSocketDirectory bindDirectory = PrivateSocketDirectory.Create(socketPath);
        var stopping = new CancellationTokenSource();
        ApiRouter router = CreateRouter(vm, options, stopping.Token);

        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(bindDirectory.SocketPath));
            listener.Listen(Backlog);
            bindDirectory.Publish(socketPath, options.SocketMode, options.SocketUserId, options.SocketGroupId);
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            listener.Dispose();
            stopping.Dispose();
            throw new IOException($"cannot serve the API on {socketPath}: {e.Message}", e);
        }
        var server = new ApiServer(socketPath, listener, router, options, stopping);
        server._acceptLoop = server.AcceptLoopAsync();
        return server;
    }

    /// <summary>The route table of every endpoint, serving <paramref name="vm"/>; the event
    /// streams end when <paramref name="serverStopping"/> is cancelled. The server's own, and the
    /// API fuzz harness's (tests/Vireo.Api.Fuzz), which drives connections without a socket.</summary>
    internal static ApiRouter CreateRouter(IVmm vm, ApiServerOptions options, CancellationToken serverStopping)
    {
        var router = new ApiRouter(options.ErrorLog);
        var ping = new ApiPing(options.Version ?? DefaultVersion(), Environment.ProcessId);
        VmmPingResource.Map(router, ping);
        OpenApiResource.Map(router);
        VmInfoResource.Map(router, vm);
        VmPowerButtonResource.Map(router, vm);
        VmShutdownResource.Map(router, vm);
        VmPauseResource.Map(router, vm);
        VmResumeResource.Map(router, vm);
        VmGpeResource.Map(router, vm);
        VmSdeiResource.Map(router, vm);
        VmSnapshotResource.Map(router, vm);
        VmDevicePowerResource.Map(router, vm);
        VmWakeResource.Map(router, vm);
        VmEventsResource.Map(router, vm, options.EventBufferCapacity, serverStopping);
        return router;
    }

    /// <summary>Ends the event streams, stops serving (waiting a bounded time for requests in progress) and removes the socket file. Safe to call more than once.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        // End the event streams and the accept loop first, or stopping would wait for them.
        await _stopping.CancelAsync();
        _listener.Dispose();
        await _acceptLoop;
        IReadOnlyList<HttpConnection> open = _slots.Stop();
        Task[] serving = new Task[open.Count];
        for (int i = 0; i < open.Count; i++)
        {
            serving[i] = open[i].Completion;
        }
        try
        {
            await Task.WhenAll(serving).WaitAsync(s_stopTimeout);
        }
        catch (TimeoutException)
        {
            foreach (HttpConnection connection in open)
            {
                connection.Abort();
            }
            await Task.WhenAll(serving).WaitAsync(s_stopTimeout).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        _stopping.Dispose();
        SocketFile.Remove(SocketPath);
    }

    private async Task AcceptLoopAsync()
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stopping.Token);
            }
            catch (Exception) when (_stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // Out of descriptors or memory, most likely: back off instead of spinning.
                _errorLog?.WriteLine($"vireo api: accepting a connection failed: {e.Message}");
                try
                {
                    await Task.Delay(100, _stopping.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                continue;
            }
            Admit(socket);
        }
    }

    private void Admit(Socket socket)
    {
        var stream = new NetworkStream(socket, ownsSocket: true);
        var connection = new HttpConnection(stream, _limits, _router, _slots, _errorLog);
        if (!_slots.TryAdmit(connection, out HttpConnection? evicted))
        {
            _ = RefuseAsync(stream);
            return;
        }
        evicted?.Abort();
        connection.Start();
    }

    /// <summary>Every connection is busy: say so at once, before any request, and close.</summary>
    private async Task RefuseAsync(NetworkStream stream)
    {
        byte[] answer = HttpResponseHead.Whole(HttpStatus.ServiceUnavailable, ApiJson.ContentType,
            ApiError.Body($"the VMM is serving {_slots.Limit} API requests at once, its limit; retry shortly"), retryAfterSeconds: 1);
        try
        {
            using var timeout = new CancellationTokenSource(_limits.LingerTimeout);
            await stream.WriteAsync(answer, timeout.Token);
            stream.Socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The client has gone already; nothing to tell it.
        }
        finally
        {
            await stream.DisposeAsync();
        }
    }

    private static string DefaultVersion() =>
        typeof(ApiServer).Assembly.GetName().Version?.ToString() ?? "unknown";
}
