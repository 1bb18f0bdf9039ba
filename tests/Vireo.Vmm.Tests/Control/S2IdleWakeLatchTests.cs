namespace Vireo.Vmm.Tests.Control;

public sealed class S2IdleWakeLatchTests
{
    [Fact]
    public void A_disarmed_latch_releases_nothing()
    {
        var latch = new S2IdleWakeLatch();
        int releases = 0;

        Assert.False(latch.TryFire("api"));
        latch.Arm(() => releases++);
        Assert.Null(latch.Disarm());
        Assert.False(latch.TryFire("api"));

        Assert.Equal(0, releases);
        Assert.False(latch.IsArmed);
    }

    [Fact]
    public void One_fire_releases_on_the_waker_and_the_owner_learns_its_source_once()
    {
        var latch = new S2IdleWakeLatch();
        int releasedOn = -1;
        latch.Arm(() => releasedOn = Environment.CurrentManagedThreadId);

        Assert.True(latch.IsArmed);
        Assert.True(latch.TryFire("serial"));
        Assert.False(latch.TryFire("api"));

        Assert.Equal(Environment.CurrentManagedThreadId, releasedOn);
        Assert.Equal("serial", latch.Disarm());
        Assert.Null(latch.Disarm());
        // Armed again for the next suspend, it works again.
        latch.Arm(() => { });
        Assert.True(latch.TryFire("timer"));
        Assert.Equal("timer", latch.Disarm());
    }

    [Fact]
    public void Wakers_racing_on_many_threads_release_a_park_exactly_once()
    {
        var latch = new S2IdleWakeLatch();
        for (int round = 0; round < 200; round++)
        {
            int releases = 0;
            latch.Arm(() => Interlocked.Increment(ref releases));
            using var go = new Barrier(4);
            bool[] fired = new bool[4];
            Thread[] wakers = [.. Enumerable.Range(0, 4).Select(i => new Thread(() =>
            {
                go.SignalAndWait();
                fired[i] = latch.TryFire($"waker{i}");
            }))];
            Array.ForEach(wakers, t => t.Start());
            Array.ForEach(wakers, t => t.Join());

            Assert.Equal(1, releases);
            Assert.Single(fired, f => f);
            Assert.Equal($"waker{Array.IndexOf(fired, true)}", latch.Disarm());
        }
    }

    [Fact]
    public async Task The_owner_taking_it_back_waits_for_a_release_in_progress()
    {
        var latch = new S2IdleWakeLatch();
        using var inRelease = new ManualResetEventSlim();
        using var finish = new ManualResetEventSlim();
        bool released = false;
        latch.Arm(() =>
        {
            inRelease.Set();
            finish.Wait();
            released = true;
        });
        Task<bool> waker = Task.Factory.StartNew(() => latch.TryFire("api"), TaskCreationOptions.LongRunning);
        Assert.True(inRelease.Wait(TimeSpan.FromSeconds(10)));

        Task<string?> owner = Task.Factory.StartNew(latch.Disarm, TaskCreationOptions.LongRunning);
        await Task.Delay(100);
        Assert.False(owner.IsCompleted, "the owner took the latch back while the waker was still releasing");
        finish.Set();

        Assert.Equal("api", await owner.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(released);
        Assert.True(await waker);
    }

    [Fact]
    public void A_release_that_fails_is_thrown_at_the_owner_not_at_the_waker()
    {
        var latch = new S2IdleWakeLatch();
        var failure = new InvalidOperationException("unpark failed");
        latch.Arm(() => throw failure);

        Assert.True(latch.TryFire("api"));

        Assert.Same(failure, Assert.Throws<InvalidOperationException>(() => latch.Disarm()));
        Assert.False(latch.IsArmed);
        Assert.Null(latch.Disarm());
    }

    [Fact]
    public void Arming_an_armed_latch_is_refused()
    {
        var latch = new S2IdleWakeLatch();
        latch.Arm(() => { });

        Assert.Throws<InvalidOperationException>(() => latch.Arm(() => { }));
    }
}
