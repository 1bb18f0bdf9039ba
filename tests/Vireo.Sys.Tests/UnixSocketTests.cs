using Vireo.TestSupport;

namespace Vireo.Sys.Tests;

public sealed class UnixSocketTests
{
    [Fact(Timeout = 180_000)]
    public Task ShutdownRacingDisposeOnAnotherThreadNeverThrows() => Task.Run(() =>
    {
        // Found by afl-fuzz (tools/fuzz/vfio-user.sh): a cancellation callback shut the channel
        // down while the serving thread was closing it, and the ObjectDisposedException ended
        // the process. Before the fix about 1 in 1000 of these rounds threw, so 5000 rounds
        // catch it more than 99 times in 100 (each round starts a thread: this suite shares the
        // machine with the lab's QEMU in tools/test.sh).
        int threw = 0;
        for (int i = 0; i < 5_000; i++)
        {
            (UnixSocket a, UnixSocket b) = UnixSocket.CreatePair();
            var closer = new Thread(a.Dispose);
            closer.Start();
            try
            {
                a.Shutdown();
                a.ShutdownWrite();
            }
            catch (ObjectDisposedException)
            {
                threw++;
            }
            closer.Join();
            b.Dispose();
        }
        Assert.Equal(0, threw);
    });

    [Fact]
    public void ShutdownWriteLetsThePeerReadEndOfStreamAndStillAnswer()
    {
        (UnixSocket a, UnixSocket b) = UnixSocket.CreatePair();
        using (a)
        using (b)
        {
            a.Send([1, 2, 3]);
            a.ShutdownWrite();
            byte[] buffer = new byte[8];
            Assert.Equal(3, b.Receive(buffer, null, 0, out _));
            Assert.Equal(0, b.Receive(buffer, null, 0, out _));
            b.Send([9]);
            Assert.Equal(1, a.Receive(buffer, null, 0, out _));
            Assert.Equal(9, buffer[0]);
        }
    }

    [Fact(Timeout = 60_000)]
    public Task GatherSendDeliversHeadThenBodyAsOneStreamWithTheFdsOnTheFirstByte() => Task.Run(() =>
    {
        (UnixSocket a, UnixSocket b) = UnixSocket.CreatePair();
        using (a)
        using (b)
        using (EventFd passed = EventFd.Create())
        {
            // 3 MiB is several times the socket buffer, so the sender blocks part way while the
            // reader drains: the stream must still be head, then body, byte for byte.
            byte[] head = [0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7];
            byte[] body = new byte[3 << 20];
            new Random(12).NextBytes(body);
            var sender = new Thread(() =>
            {
                a.Send(head, body, [passed.Handle]);
                a.Send(head, default);
                a.Send(default, body.AsSpan(0, 5));
            });
            sender.Start();
            byte[] expected = [.. head, .. body, .. head, .. body.AsSpan(0, 5)];
            byte[] got = new byte[expected.Length];
            var fds = new List<SafeFd>();
            int at = 0;
            while (at < got.Length)
            {
                int n = b.Receive(got.AsSpan(at), at == 0 ? fds : null, at == 0 ? 1 : 0, out bool truncated);
                Assert.True(n > 0);
                Assert.False(truncated);
                at += n;
            }
            sender.Join();
            Assert.True(expected.AsSpan().SequenceEqual(got));
            SafeFd fd = Assert.Single(fds);
            fd.Dispose();
        }
    });

    [Fact]
    public void Peer_credentials_name_this_process_and_its_user()
    {
        string path = Path.Combine(Path.GetTempPath(), $"vireo-peercred-{Guid.NewGuid():N}.sock");
        using UnixSocket listener = UnixSocket.Listen(path);
        try
        {
            using UnixSocket client = UnixSocket.Connect(path);
            using UnixSocket server = listener.Accept();

            PeerCredentials peer = server.GetPeerCredentials();

            Assert.Equal(Environment.ProcessId, peer.Pid);
            Assert.Equal(ThisProcess.EffectiveUid(), peer.Uid);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
