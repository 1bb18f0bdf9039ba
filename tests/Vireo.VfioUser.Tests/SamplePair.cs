using Vireo.SampleDevice;
using Vireo.Sys;

namespace Vireo.VfioUser.Tests;

/// <summary>The sample device behind a server thread, a client over a socketpair.</summary>
internal sealed class SamplePair : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;

    public SamplePair(VfioUserClientOptions? options = null)
    {
        Server = new VfioUserServer(Device);
        VfioUserServer server = Server;
        (UnixSocket serverEnd, UnixSocket clientEnd) = UnixSocket.CreatePair();
        _thread = new Thread(() => server.Serve(serverEnd, _stop.Token)) { IsBackground = true };
        _thread.Start();
        Client = VfioUserClient.Open(clientEnd, (options ?? new VfioUserClientOptions()) with { ReplyTimeout = TimeSpan.FromSeconds(10) });
    }

    public AcceleratorDevice Device { get; } = new();

    public VfioUserServer Server { get; }

    public VfioUserClient Client { get; }

    public void Dispose()
    {
        Client.Dispose();
        _stop.Cancel();
        _thread.Join(TimeSpan.FromSeconds(5));
        Device.Dispose();
    }
}
