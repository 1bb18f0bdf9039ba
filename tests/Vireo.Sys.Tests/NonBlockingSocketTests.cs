using Vireo.TestSupport;

namespace Vireo.Sys.Tests;

/// <summary>The calls an epoll-driven owner of many sockets makes (TryAccept, ConnectNonBlocking,
/// TryReceive, TrySend), epoll registrations that report what a descriptor is ready for, and the
/// timerfd that carries its deadlines.</summary>
public sealed class NonBlockingSocketTests
{
    [GccFact]
    public void Itimerspec_matches_the_C_layout_and_the_epoll_bits_their_macros()
    {
        CStructLayout layout = CStructLayout.Of<Interop.Sys.ITimerSpec>("struct itimerspec")
            .Field("it_interval", (ref Interop.Sys.ITimerSpec t) => ref t.Interval)
            .Field("it_value", (ref Interop.Sys.ITimerSpec t) => ref t.Value);
        string[] macros = ["EPOLLIN", "EPOLLOUT", "EPOLLERR", "EPOLLHUP", "EPOLLRDHUP", "EPOLLET", "EPOLL_CTL_MOD", "TFD_NONBLOCK", "TFD_CLOEXEC", "CLOCK_MONOTONIC", "MSG_DONTWAIT", "SOCK_NONBLOCK"];

        CLayoutOracle oracle = CLayoutOracle.Run(["time.h", "sys/timerfd.h", "sys/epoll.h", "sys/socket.h"], [layout], macros);

        Assert.Empty(oracle.Compare(layout));
        Assert.Equal((ulong)EpollEvents.In, oracle.Macro("EPOLLIN"));
        Assert.Equal((ulong)EpollEvents.Out, oracle.Macro("EPOLLOUT"));
        Assert.Equal((ulong)EpollEvents.Error, oracle.Macro("EPOLLERR"));
        Assert.Equal((ulong)EpollEvents.HangUp, oracle.Macro("EPOLLHUP"));
        Assert.Equal((ulong)EpollEvents.ReadHangUp, oracle.Macro("EPOLLRDHUP"));
        Assert.Equal((ulong)EpollEvents.EdgeTriggered, oracle.Macro("EPOLLET"));
        Assert.Equal(3UL, oracle.Macro("EPOLL_CTL_MOD"));
        Assert.Equal(0x800UL, oracle.Macro("TFD_NONBLOCK"));
        Assert.Equal(0x80000UL, oracle.Macro("TFD_CLOEXEC"));
        Assert.Equal(1UL, oracle.Macro("CLOCK_MONOTONIC"));
        Assert.Equal(0x40UL, oracle.Macro("MSG_DONTWAIT"));
        Assert.Equal(0x800UL, oracle.Macro("SOCK_NONBLOCK"));
    }

    [Fact]
    public void A_listener_accepts_without_waiting_and_both_ends_move_bytes_without_waiting()
    {
        string dir = Directory.CreateTempSubdirectory("vireo-nb-").FullName;
        try
        {
            string path = Path.Combine(dir, "s");
            using UnixSocket listener = UnixSocket.Listen(path);
            FileDescriptor.SetNonBlocking(listener.Handle);
            Assert.Null(listener.TryAccept());

            using UnixSocket client = UnixSocket.ConnectNonBlocking(path);
            using UnixSocket server = listener.TryAccept() ?? throw new InvalidOperationException("no connection pending");
            Assert.True(FileDescriptor.IsNonBlocking(client.Handle));
            Assert.True(FileDescriptor.IsNonBlocking(server.Handle));
            byte[] buffer = new byte[16];
            Assert.Null(server.TryReceive(buffer));

            Assert.Equal(3, client.TrySend([1, 2, 3]));
            Assert.Equal(3, server.TryReceive(buffer));
            client.ShutdownWrite();
            Assert.Equal(0, server.TryReceive(buffer));

            // A full socket takes part, then nothing; a closed peer is EPIPE, not a signal.
            byte[] big = new byte[1 << 20];
            int taken = 0;
            while (server.TrySend(big) is int n)
            {
                taken += n;
            }
            Assert.InRange(taken, 1, big.Length - 1);
            client.Dispose();
            Assert.Equal(Errno.EPIPE, Assert.Throws<ErrnoException>(() => server.TrySend(big)).Errno);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Connecting_to_a_missing_or_dead_socket_fails_with_its_errno()
    {
        string dir = Directory.CreateTempSubdirectory("vireo-nb-").FullName;
        try
        {
            string path = Path.Combine(dir, "s");
            Assert.Equal(Errno.ENOENT, Assert.Throws<ErrnoException>(() => UnixSocket.ConnectNonBlocking(path)).Errno);
            UnixSocket.Listen(path).Dispose();
            Assert.Equal(Errno.ECONNREFUSED, Assert.Throws<ErrnoException>(() => UnixSocket.ConnectNonBlocking(path)).Errno);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Epoll_reports_what_a_descriptor_is_ready_for_and_follows_a_modified_interest()
    {
        (UnixSocket a, UnixSocket b) = UnixSocket.CreatePair();
        using (a)
        using (b)
        using (Epoll epoll = Epoll.Create())
        {
            Span<EpollReady> ready = stackalloc EpollReady[4];
            epoll.Add(a.Handle, 5, EpollEvents.In);
            Assert.Equal(0, epoll.Wait(ready, TimeSpan.Zero));

            epoll.Modify(a.Handle, 6, EpollEvents.In | EpollEvents.Out);
            Assert.Equal(1, epoll.Wait(ready, TimeSpan.FromSeconds(5)));
            Assert.Equal(new EpollReady(6, EpollEvents.Out), ready[0]);

            epoll.Modify(a.Handle, 7, EpollEvents.None);
            b.Dispose();
            Assert.Equal(1, epoll.Wait(ready, TimeSpan.FromSeconds(5)));
            Assert.Equal(7UL, ready[0].Token);
            Assert.True(ready[0].Events.HasFlag(EpollEvents.HangUp));
        }
    }

    [Fact]
    public void A_timerfd_turns_readable_once_its_deadline_passes_and_not_when_disarmed()
    {
        using TimerFd timer = TimerFd.Create();
        Assert.Equal(0UL, timer.TryRead());
        timer.Arm(TimeSpan.FromHours(1));
        timer.Disarm();
        Assert.False(Poller.WaitReadable(timer.Handle, TimeSpan.FromMilliseconds(20)));

        timer.Arm(TimeSpan.Zero);
        Assert.True(Poller.WaitReadable(timer.Handle, TimeSpan.FromSeconds(5)));
        Assert.Equal(1UL, timer.TryRead());
        Assert.Equal(0UL, timer.TryRead());
    }
}
