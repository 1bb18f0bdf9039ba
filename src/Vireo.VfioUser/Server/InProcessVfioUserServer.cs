using Vireo.Sys;

namespace Vireo.VfioUser;

/// <summary>
/// A <see cref="VfioUserServer"/> serving one backend on a thread of this process, over one end
/// of a socket pair: the same protocol, messages and fds as a server process, without a process
/// to start (`vireo bench pci`, tests). The caller takes <see cref="ClientEnd"/> (a
/// <see cref="VfioUserClient"/> takes ownership of it) and keeps the backend's lifetime.
/// </summary>
public sealed class InProcessVfioUserServer : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;

    /// <summary>Starts serving <paramref name="backend"/> on a new background thread.</summary>
    /// <param name="backend">The device to serve; not disposed here.</param>
    /// <param name="options">Server options; the defaults when null.</param>
    public InProcessVfioUserServer(IVfioUserBackend backend, VfioUserServerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(backend);
        var server = new VfioUserServer(backend, options);
        (UnixSocket serverEnd, UnixSocket clientEnd) = UnixSocket.CreatePair();
        ClientEnd = clientEnd;
        _thread = new Thread(() => server.Serve(serverEnd, _stop.Token)) { IsBackground = true, Name = "vfio-user server" };
        _thread.Start();
    }

    /// <summary>The client's end of the socket pair.</summary>
    public UnixSocket ClientEnd { get; }

    /// <summary>Stops serving (the server's socket closes, as when a server process dies) and
    /// waits up to five seconds for the thread.</summary>
    public void Dispose()
    {
        _stop.Cancel();
        _thread.Join(TimeSpan.FromSeconds(5));
        _stop.Dispose();
    }
}
