using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Vireo.Api.Http;
using Vireo.Api.Resources;

namespace Vireo.Api;

/// <summary>The management API: HTTP/1.1 on a UNIX socket, versioned paths under /api/v1 like
/// cloud-hypervisor's (PUT for actions, GET for information and the event stream), JSON in and
/// out, and a JSON error for every 4xx/5xx. Dispose to stop it and remove the socket file.</summary>
public sealed class ApiServer : IAsyncDisposable
{
    private static readonly TimeSpan s_stopTimeout = TimeSpan.FromSeconds(5);

    // Every request this API takes fits in one small write; a client that needs longer than this
    // to send its header is stalled or hostile (Kestrel's default is 30 s).
    private static readonly TimeSpan s_requestHeadersTimeout = TimeSpan.FromSeconds(10);

    // `vireo remote` opens a connection per command; keep-alive only spares reconnecting between
    // requests of one burst (Kestrel's default is 130 s).
    private static readonly TimeSpan s_keepAliveTimeout = TimeSpan.FromSeconds(30);

    private readonly WebApplication _app;
    private readonly CancellationTokenSource _stopping;
    private int _disposed;

    private ApiServer(string socketPath, WebApplication app, CancellationTokenSource stopping)
    {
        SocketPath = socketPath;
        _app = app;
        _stopping = stopping;
    }

    /// <summary>The UNIX socket the server listens on; it is removed on dispose.</summary>
    public string SocketPath { get; }

    /// <summary>Every (method, path) the server maps, for the OpenAPI check.</summary>
    internal IReadOnlyList<(string Method, string Path)> Routes =>
        [.. ((IEndpointRouteBuilder)_app).DataSources
            .SelectMany(source => source.Endpoints)
            .OfType<RouteEndpoint>()
            .SelectMany(endpoint => (endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["*"])
                .Select(method => (method, endpoint.RoutePattern.RawText ?? "")))];

    /// <summary>Creates the socket at <paramref name="socketPath"/> and starts serving
    /// <paramref name="vm"/>. The socket appears there already with its mode and owner (see
    /// <see cref="ApiServerOptions.SocketMode"/>); if they cannot be set the server does not start.
    /// A stale socket file left by a dead server is replaced; a live server or a non-socket file
    /// at the path is an <see cref="IOException"/> that names the way out.</summary>
    public static async Task<ApiServer> StartAsync(string socketPath, IVmm vm, ApiServerOptions? options = null,
        CancellationToken cancellationToken = default)
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

        SocketFile.Prepare(socketPath);
        using PrivateSocketDirectory bindDirectory = PrivateSocketDirectory.Create(socketPath);

        // The empty builder: no configuration files or environment variables (ASPNETCORE_URLS
        // could otherwise add listeners), no logging providers, no file watchers.
        WebApplicationBuilder builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
        {
            ApplicationName = "Vireo.Api",
            EnvironmentName = Environments.Production,
            ContentRootPath = AppContext.BaseDirectory,
        });
        // ConnectionSlots enforces MaxConnections by closing the longest-idle connection to make
        // room, so Kestrel's own limit (which refuses the newest) stays off. The short header and
        // keep-alive timeouts also hand back what stalled or idle clients hold.
        var slots = new ConnectionSlots(options.MaxConnections);
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes;
            kestrel.Limits.MaxConcurrentConnections = null;
            kestrel.Limits.RequestHeadersTimeout = s_requestHeadersTimeout;
            kestrel.Limits.KeepAliveTimeout = s_keepAliveTimeout;
            kestrel.Limits.MaxRequestHeadersTotalSize = 16 * 1024;
            kestrel.Limits.MaxRequestLineSize = 4 * 1024;
            kestrel.ListenUnixSocket(bindDirectory.SocketPath, listen => listen.Use(slots.Middleware));
        });
        builder.Services.AddRoutingCore();
        builder.Services.AddSingleton<IHostLifetime, NoSignalLifetime>();
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = s_stopTimeout);

        WebApplication app = builder.Build();
        var stopping = new CancellationTokenSource();
        app.Use(async (context, next) =>
        {
            using (slots.EnterRequest(context))
            {
                await next(context);
            }
        });
        app.UseMiddleware<ErrorMiddleware>(options.ErrorLog ?? TextWriter.Null);
        app.UseRouting();

        var ping = new ApiPing(options.Version ?? DefaultVersion(), Environment.ProcessId);
        VmmPingResource.Map(app, ping);
        OpenApiResource.Map(app);
        VmInfoResource.Map(app, vm);
        VmPowerButtonResource.Map(app, vm);
        VmShutdownResource.Map(app, vm);
        VmPauseResource.Map(app, vm);
        VmResumeResource.Map(app, vm);
        VmGpeResource.Map(app, vm);
        VmWakeResource.Map(app, vm);
        VmEventsResource.Map(app, vm, options.EventBufferCapacity, stopping.Token);

        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (IOException e)
        {
            await app.DisposeAsync();
            stopping.Dispose();
            throw new IOException($"cannot serve the API on {socketPath}: {e.Message}", e);
        }
        try
        {
            bindDirectory.Publish(socketPath, options.SocketMode, options.SocketUserId, options.SocketGroupId);
        }
        catch (IOException e)
        {
            await app.StopAsync(CancellationToken.None);
            await app.DisposeAsync();
            stopping.Dispose();
            throw new IOException($"cannot serve the API on {socketPath}: {e.Message}", e);
        }
        return new ApiServer(socketPath, app, stopping);
    }

    /// <summary>Ends the event streams, stops serving (waiting a bounded time for requests in progress) and removes the socket file. Safe to call more than once.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        // End the event streams first, or stopping would wait for them.
        await _stopping.CancelAsync();
        using (var timeout = new CancellationTokenSource(s_stopTimeout))
        {
            await _app.StopAsync(timeout.Token);
        }
        await _app.DisposeAsync();
        _stopping.Dispose();
        SocketFile.Remove(SocketPath);
    }

    private static string DefaultVersion() =>
        typeof(ApiServer).Assembly.GetName().Version?.ToString() ?? "unknown";
}
