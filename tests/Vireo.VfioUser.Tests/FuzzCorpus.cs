using Vireo.Sys;

namespace Vireo.VfioUser.Tests;

/// <summary>The fuzz entry point: a negotiated session receives the input bytes as a stream;
/// the server must answer, or close, within the deadline and never throw.</summary>
internal static class FuzzCorpus
{
    public static byte[][] Seeds()
    {
        string dir = Path.Combine(AppContext.BaseDirectory, "corpus");
        return Directory.GetFiles(dir).Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToArray();
    }

    public static void RunOne(byte[] input)
    {
        using var peer = new RawPeer();
        peer.Send(input);
        peer.Socket.Shutdown();
        // Drain whatever the server says until it closes; it must close after our EOF.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        byte[] sink = new byte[4096];
        while (DateTime.UtcNow < deadline)
        {
            if (!Poller.WaitReadable(peer.Socket.Handle, TimeSpan.FromSeconds(1)))
            {
                continue;
            }
            int n;
            try
            {
                n = peer.Socket.Receive(sink, [], 0, out _);
            }
            catch (ErrnoException)
            {
                break;
            }
            if (n == 0)
            {
                break;
            }
        }
        Assert.True(peer.ServerEnded(TimeSpan.FromSeconds(10)), "the server did not finish after end of input");
    }
}
