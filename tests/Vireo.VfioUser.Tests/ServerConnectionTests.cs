using System.Collections.Concurrent;
using System.Net.Sockets;
using Vireo.Sys;

namespace Vireo.VfioUser.Tests;

/// <summary>Issue 17: the listening socket's mode and backlog, partial messages, and a second
/// client while one is served.</summary>
public sealed class ServerConnectionTests
{
    private const int Timeout = 30_000;

    [Fact(Timeout = Timeout)]
    public Task PartialHeaderThenSilenceEndsTheConnection() => Task.Run(() =>
    {
        using var peer = new RawPeer(options: new VfioUserServerOptions { PartialMessageTimeout = TimeSpan.FromMilliseconds(300) });
        peer.Send([1, 0, 4, 0, 16]);
        Assert.Null(peer.TryReadReply(TimeSpan.FromSeconds(10)));
        Assert.True(peer.ServerEnded(TimeSpan.FromSeconds(5)));
    });

    [Fact(Timeout = Timeout)]
    public Task PartialPayloadThenSilenceEndsTheConnection() => Task.Run(() =>
    {
        using var peer = new RawPeer(options: new VfioUserServerOptions { PartialMessageTimeout = TimeSpan.FromMilliseconds(300) });
        byte[] message = RawPeer.Message(2, VfioUserCommand.DeviceGetInfo, RawPeer.Encode(DeviceInfo.Request));
        peer.Send(message.AsSpan(0, 20));
        Assert.Null(peer.TryReadReply(TimeSpan.FromSeconds(10)));
    });

    [Fact(Timeout = Timeout)]
    public Task ASecondClientIsRefusedClearlyAndServedOnceTheFirstLeaves() => Task.Run(() =>
    {
        using var server = new RunningServer();
        VfioUserClient first = VfioUserClient.Connect(server.Path);
        using (UnixSocket second = UnixSocket.Connect(server.Path))
        {
            Assert.True(Poller.WaitReadable(second.Handle, TimeSpan.FromSeconds(5)));
            Assert.Equal(0, second.Receive(new byte[16], null, 0, out _));
        }
        Assert.Contains(server.Log, line => line.Contains("refusing a second client", StringComparison.Ordinal));
        Assert.Equal(9u, first.GetDeviceInfo().NumRegions);
        first.Dispose();
        using VfioUserClient third = server.ConnectWhenFree();
        Assert.Equal(9u, third.GetDeviceInfo().NumRegions);
    });

    [Fact(Timeout = Timeout)]
    public Task AClientStuckMidMessageDoesNotLockOutOthers() => Task.Run(() =>
    {
        using var server = new RunningServer(new VfioUserServerOptions { PartialMessageTimeout = TimeSpan.FromMilliseconds(300) });
        using UnixSocket stuck = UnixSocket.Connect(server.Path);
        stuck.Send([1, 0, 1]);
        using VfioUserClient next = server.ConnectWhenFree();
        Assert.Equal(9u, next.GetDeviceInfo().NumRegions);
    });

    [Fact(Timeout = Timeout)]
    public Task TheSocketIsOwnerOnlyByDefault() => Task.Run(() =>
    {
        using var server = new RunningServer();
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(server.Path));
    });

    [Fact(Timeout = Timeout)]
    public Task SocketModeAndGroupComeFromTheOptions() => Task.Run(() =>
    {
        string gid = File.ReadAllLines("/proc/self/status").First(l => l.StartsWith("Gid:", StringComparison.Ordinal)).Split('\t', StringSplitOptions.RemoveEmptyEntries)[1];
        var access = new SocketFileAccess(SocketFileAccess.ParseMode("0660"), Group: gid);
        using var server = new RunningServer(new VfioUserServerOptions { SocketAccess = access });
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite, File.GetUnixFileMode(server.Path));
    });

    [Fact(Timeout = Timeout)]
    public Task AnUnknownOwnerFailsAndLeavesNoSocket() => Task.Run(() =>
    {
        string path = TestPaths.Socket();
        using var device = new TestDevice();
        var server = new VfioUserServer(device, new VfioUserServerOptions { SocketAccess = SocketFileAccess.OwnerOnly with { Owner = "no-such-user-vireo" } });
        ArgumentException e = Assert.Throws<ArgumentException>(() => server.Run(path, CancellationToken.None));
        Assert.Contains("no-such-user-vireo", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
        Assert.Throws<ArgumentException>(() => SocketFileAccess.ParseMode("0980"));
        Assert.Throws<ArgumentException>(() => SocketFileAccess.ParseMode("1777"));
    });

    [Fact(Timeout = Timeout)]
    public Task TwoHundredFastConnectsAreAllQueued() => Task.Run(() =>
    {
        using var server = new RunningServer();
        var sockets = new List<Socket>();
        int refusedByBacklog = 0;
        try
        {
            for (int i = 0; i < 200; i++)
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { Blocking = false };
                sockets.Add(socket);
                try
                {
                    socket.Connect(new UnixDomainSocketEndPoint(server.Path));
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.WouldBlock)
                {
                    refusedByBacklog++;
                }
            }
        }
        finally
        {
            sockets.ForEach(s => s.Dispose());
        }
        Assert.Equal(0, refusedByBacklog);
    });

    /// <summary>A server on a socket path, run by <see cref="VfioUserServer.Run"/> on a thread.</summary>
    private sealed class RunningServer : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Thread _thread;
        private readonly TestDevice _device = new();
        private readonly ConcurrentQueue<string> _log = new();

        public RunningServer(VfioUserServerOptions? options = null)
        {
            Path = TestPaths.Socket();
            var server = new VfioUserServer(_device, (options ?? new VfioUserServerOptions()) with { Log = _log.Enqueue });
            using var listening = new ManualResetEventSlim();
            _thread = new Thread(() => server.Run(Path, _stop.Token, listening.Set)) { IsBackground = true };
            _thread.Start();
            Assert.True(listening.Wait(TimeSpan.FromSeconds(10)));
        }

        public string Path { get; }

        public IReadOnlyCollection<string> Log => _log;

        /// <summary>Connects, retrying while the server still refuses (the previous client's
        /// departure is seen by the server a moment after the client closes).</summary>
        public VfioUserClient ConnectWhenFree()
        {
            DateTime until = DateTime.UtcNow.AddSeconds(10);
            while (true)
            {
                try
                {
                    return VfioUserClient.Connect(Path, new VfioUserClientOptions { ReplyTimeout = TimeSpan.FromSeconds(5) });
                }
                catch (VfioUserDisconnectedException) when (DateTime.UtcNow < until)
                {
                    Thread.Sleep(50);
                }
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            Assert.True(_thread.Join(TimeSpan.FromSeconds(10)));
            _device.Dispose();
        }
    }
}
