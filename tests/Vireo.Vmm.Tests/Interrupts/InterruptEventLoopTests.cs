using Vireo.Sys;

namespace Vireo.Vmm.Tests.Interrupts;

public sealed class InterruptEventLoopTests
{
    [Fact]
    public void A_failing_handler_is_unwatched_and_reported_and_the_loop_goes_on()
    {
        var errors = new List<Exception>();
        using var loop = new InterruptEventLoop(e => { lock (errors) { errors.Add(e); } });
        using EventFd bad = EventFd.Create();
        using EventFd good = EventFd.Create();
        int goodCalls = 0;
        loop.Watch(bad, () => throw new InvalidOperationException("boom"));
        loop.Watch(good, () => { good.TryRead(); Interlocked.Increment(ref goodCalls); });

        bad.Signal();
        Assert.True(MsixVectorsTests.WaitUntil(() => { lock (errors) { return errors.Count == 1; } }));
        good.Signal();

        Assert.True(MsixVectorsTests.WaitUntil(() => Volatile.Read(ref goodCalls) == 1));
        Assert.Equal(1, loop.Watched);
        Assert.Equal("boom", errors[0].Message);
    }

    [Fact]
    public void Dispose_stops_the_thread_even_with_descriptors_watched()
    {
        var loop = new InterruptEventLoop(_ => { });
        using EventFd fd = EventFd.Create();
        loop.Watch(fd, () => fd.TryRead());

        loop.Dispose();

        Assert.Throws<ObjectDisposedException>(() => loop.Watch(fd, () => { }));
        loop.Unwatch(fd, 1);
    }
}
