using Vireo.SampleDevice;
using Vireo.Sys;

namespace Vireo.VfioUser.Fuzz;

/// <summary>Client-side seeds: what the real server sends while <see cref="ClientTarget.Drive"/>
/// runs against it, taken from a proxy between the two (descriptors are forwarded, the
/// server's bytes recorded). Replayed by <see cref="ClientTarget"/>, such a seed walks the whole
/// session in step.</summary>
public static class ClientSeedRecorder
{
    /// <summary>The server's bytes, and how many of <see cref="ClientTarget.Drive"/>'s steps the
    /// real server answered.</summary>
    public static (byte[] Bytes, int Answered) Record(VfioUserServerOptions? serverOptions = null, VfioUserClientOptions? clientOptions = null)
    {
        using var device = new AcceleratorDevice();
        var server = new VfioUserServer(device, serverOptions);
        (UnixSocket serverEnd, UnixSocket proxyToServer) = UnixSocket.CreatePair();
        (UnixSocket clientEnd, UnixSocket proxyToClient) = UnixSocket.CreatePair();
        var recorded = new MemoryStream();
        using var stop = new CancellationTokenSource();
        var serving = new Thread(() => server.Serve(serverEnd, stop.Token)) { IsBackground = true };
        var up = new Thread(() => Forward(proxyToClient, proxyToServer, null)) { IsBackground = true };
        var down = new Thread(() => Forward(proxyToServer, proxyToClient, recorded)) { IsBackground = true };
        serving.Start();
        up.Start();
        down.Start();
        int answered;
        using (VfioUserClient client = VfioUserClient.Open(clientEnd, clientOptions ?? ClientTarget.Options()))
        {
            answered = ClientTarget.Drive(client);
        }
        up.Join(ServerTarget.Deadline);
        stop.Cancel();
        serving.Join(ServerTarget.Deadline);
        down.Join(ServerTarget.Deadline);
        proxyToClient.Dispose();
        proxyToServer.Dispose();
        return (recorded.ToArray(), answered);
    }

    /// <summary>Copies one direction message by message, so descriptors stay with their header.</summary>
    private static void Forward(UnixSocket from, UnixSocket to, Stream? record)
    {
        var fds = new List<SafeFd>();
        byte[] buffer = new byte[2 << 20];
        try
        {
            while (true)
            {
                int n = from.Receive(buffer, fds, UnixSocket.MaxFdsPerMessage, out _);
                if (n == 0)
                {
                    break;
                }
                to.Send(buffer.AsSpan(0, n), fds.ToArray());
                record?.Write(buffer, 0, n);
                foreach (SafeFd fd in fds)
                {
                    fd.Dispose();
                }
                fds.Clear();
            }
        }
        catch (ErrnoException)
        {
            // One side left.
        }
        to.Shutdown();
    }
}
