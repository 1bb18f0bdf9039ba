using Vireo.SampleDevice;
using Vireo.Sys;
using Vireo.VfioUser;

namespace Vireo.Vmm.Tests;

/// <summary>The sample accelerator served on one end of a socket pair.</summary>
internal sealed class SampleAcceleratorServer : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;

    public SampleAcceleratorServer()
    {
        var server = new VfioUserServer(Device);
        (UnixSocket serverEnd, UnixSocket clientEnd) = UnixSocket.CreatePair();
        ClientEnd = clientEnd;
        _thread = new Thread(() => server.Serve(serverEnd, _stop.Token)) { IsBackground = true, Name = "sample server" };
        _thread.Start();
    }

    public AcceleratorDevice Device { get; } = new();

    public UnixSocket ClientEnd { get; }

    /// <summary>Whether the server saw its client leave (its serving loop ended) within <paramref name="timeout"/>.</summary>
    public bool WaitForClientToLeave(TimeSpan timeout) => _thread.Join(timeout);

    /// <summary>Ends the server as a crash would: its socket closes.</summary>
    public void Kill()
    {
        _stop.Cancel();
        _thread.Join(TimeSpan.FromSeconds(5));
    }

    public void Dispose()
    {
        Kill();
        Device.Dispose();
    }
}
