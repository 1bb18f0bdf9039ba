using Vireo.TestSupport;

namespace Vireo.Sys.Tests;

public sealed class EpollTests
{
    [Aarch64GccFact]
    public void On_arm64_epoll_event_is_naturally_aligned_as_Epoll_reads_it_there()
    {
        // A token read at x86-64's offset 4 on arm64 is garbage: arm64's struct is 16 bytes.
        CStructLayout layout = CStructLayout.Of<Interop.Sys.EpollEvent>("struct epoll_event")
            .Field("events", (ref Interop.Sys.EpollEvent e) => ref e.Events)
            .Field("data.u64", (ref Interop.Sys.EpollEvent e) => ref e.Data);

        CLayoutOracle oracle = CLayoutOracle.Run(CTarget.Aarch64, ["sys/epoll.h"], [layout], []);

        Assert.Empty(oracle.Compare(layout));
        Assert.Equal(16UL, oracle.SizeOf("struct epoll_event"));
    }

    [GccFact]
    public void Epoll_event_matches_the_C_layout()
    {
        // This host is x86-64 (CI's and the lab's), where the struct is packed.
        Assert.Equal(System.Runtime.InteropServices.Architecture.X64, System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture);
        CStructLayout layout = CStructLayout.Of<Interop.Sys.EpollEventX64>("struct epoll_event")
            .Field("events", (ref Interop.Sys.EpollEventX64 e) => ref e.Events)
            .Field("data.u64", (ref Interop.Sys.EpollEventX64 e) => ref e.Data);

        CLayoutOracle oracle = CLayoutOracle.Run(["sys/epoll.h"], [layout], ["EPOLLIN", "EPOLL_CLOEXEC", "EPOLL_CTL_ADD", "EPOLL_CTL_DEL"]);

        Assert.Empty(oracle.Compare(layout));
        Assert.Equal(1UL, oracle.Macro("EPOLLIN"));
        Assert.Equal(0x80000UL, oracle.Macro("EPOLL_CLOEXEC"));
        Assert.Equal(1UL, oracle.Macro("EPOLL_CTL_ADD"));
        Assert.Equal(2UL, oracle.Macro("EPOLL_CTL_DEL"));
    }

    [Fact]
    public void Edge_triggered_reports_input_once_when_it_arrives_not_for_as_long_as_it_waits()
    {
        using Epoll epoll = Epoll.Create();
        using EventFd fd = EventFd.Create();
        epoll.Add(fd.Handle, 3, EpollEvents.In | EpollEvents.EdgeTriggered);
        Span<ulong> tokens = stackalloc ulong[4];

        fd.Signal();
        Assert.Equal(1, epoll.Wait(tokens, TimeSpan.FromSeconds(5)));
        Assert.Equal(3UL, tokens[0]);
        // Not read, still readable: no second report until more input arrives.
        Assert.Equal(0, epoll.Wait(tokens, TimeSpan.Zero));
        fd.Signal();
        Assert.Equal(1, epoll.Wait(tokens, TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public void Wait_reports_the_token_of_the_signalled_eventfd_only_while_it_is_watched()
    {
        using Epoll epoll = Epoll.Create();
        using EventFd a = EventFd.Create();
        using EventFd b = EventFd.Create();
        epoll.Add(a.Handle, 7);
        epoll.Add(b.Handle, 9);
        Span<ulong> tokens = stackalloc ulong[4];

        Assert.Equal(0, epoll.Wait(tokens, TimeSpan.Zero));
        b.Signal();
        Assert.Equal(1, epoll.Wait(tokens, TimeSpan.FromSeconds(5)));
        Assert.Equal(9UL, tokens[0]);

        // Level-triggered: still ready until read; gone once removed.
        epoll.Remove(b.Handle);
        Assert.Equal(0, epoll.Wait(tokens, TimeSpan.Zero));
        var error = Assert.Throws<ErrnoException>(() => epoll.Remove(b.Handle));
        Assert.Equal(Errno.ENOENT, error.Errno);
        Assert.Equal(Errno.EEXIST, Assert.Throws<ErrnoException>(() => epoll.Add(a.Handle, 1)).Errno);
    }
}
