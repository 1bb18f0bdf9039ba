namespace Vireo.Sys.Tests;

public sealed class PollerTests
{
    [Fact]
    public void WaitAnyReportsExactlyTheReadyDescriptors()
    {
        using EventFd a = EventFd.Create();
        using EventFd b = EventFd.Create();
        using EventFd c = EventFd.Create();
        SafeFd[] fds = [a.Handle, b.Handle, c.Handle];
        bool[] ready = new bool[3];

        Assert.Equal(0, Poller.WaitAny(fds, ready, TimeSpan.FromMilliseconds(20)));
        Assert.Equal([false, false, false], ready);

        b.Signal();
        c.Signal();
        Assert.Equal(2, Poller.WaitAny(fds, ready, TimeSpan.FromSeconds(5)));
        Assert.Equal([false, true, true], ready);
    }

    [Fact]
    public void WaitAnyWakesOnAPeerThatHungUp()
    {
        (UnixSocket first, UnixSocket second) = UnixSocket.CreatePair();
        using (first)
        {
            second.Dispose();
            bool[] ready = new bool[1];
            Assert.Equal(1, Poller.WaitAny([first.Handle], ready, TimeSpan.FromSeconds(5)));
            Assert.True(ready[0]);
        }
    }

    [Fact]
    public void WaitAnyNeedsASlotPerDescriptor()
    {
        using EventFd a = EventFd.Create();
        Assert.Throws<ArgumentException>(() => Poller.WaitAny([a.Handle, a.Handle], new bool[1], TimeSpan.Zero));
    }
}
