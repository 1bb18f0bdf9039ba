using Vireo.Sys;

namespace Vireo.VfioUser.Tests;

/// <summary>A server thread and a client over a socketpair, torn down in order.</summary>
internal sealed class Pair : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _serverThread;

    public Pair(VfioUserClientOptions? clientOptions = null, VfioUserServerOptions? serverOptions = null, TestDevice? device = null)
    {
        Device = device ?? new TestDevice();
        Server = new VfioUserServer(Device, serverOptions);
        (UnixSocket serverEnd, UnixSocket clientEnd) = UnixSocket.CreatePair();
        _serverThread = new Thread(() => Server.Serve(serverEnd, _stop.Token)) { IsBackground = true };
        _serverThread.Start();
        Client = VfioUserClient.Open(clientEnd, (clientOptions ?? new VfioUserClientOptions()) with { ReplyTimeout = TimeSpan.FromSeconds(5) });
    }

    public TestDevice Device { get; }

    public VfioUserServer Server { get; }

    public VfioUserClient Client { get; }

    public bool ServerStopped(TimeSpan timeout) => _serverThread.Join(timeout);

    public void Dispose()
    {
        Client.Dispose();
        _stop.Cancel();
        _serverThread.Join(TimeSpan.FromSeconds(5));
        Device.Dispose();
    }
}
