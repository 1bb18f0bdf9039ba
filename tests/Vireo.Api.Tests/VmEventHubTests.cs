using Vireo.Api;

namespace Vireo.Api.Tests;

/// <summary>The fan-out without HTTP: order, overflow and completion.</summary>
public sealed class VmEventHubTests
{
    [Fact(Timeout = TestLimits.TestMs)]
    public async Task EverySubscriberSeesEveryEventInOrder()
    {
        var hub = new VmEventHub();
        using VmEventSubscription first = hub.Subscribe();
        using VmEventSubscription second = hub.Subscribe();

        for (int i = 0; i < 10; i++)
        {
            hub.Publish("tick", Seq(i));
        }
        hub.Complete();

        Assert.Equal(Enumerable.Range(0, 10), await SeqsAsync(first));
        Assert.Equal(Enumerable.Range(0, 10), await SeqsAsync(second));
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task EventsPublishedFromManyThreadsArriveInTheSameOrderEverywhere()
    {
        var hub = new VmEventHub();
        using VmEventSubscription first = hub.Subscribe(10_000);
        using VmEventSubscription second = hub.Subscribe(10_000);

        await Task.WhenAll(Enumerable.Range(0, 4).Select(t => Task.Run(() =>
        {
            for (int i = 0; i < 1000; i++)
            {
                hub.Publish("tick", Seq(t * 1000 + i));
            }
        })));
        hub.Complete();

        List<int> a = await SeqsAsync(first);
        Assert.Equal(4000, a.Count);
        Assert.Equal(a, await SeqsAsync(second));
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task AFullSubscriberLosesTheOverflowAndIsToldWhereAndHowMany()
    {
        var hub = new VmEventHub();
        using VmEventSubscription slow = hub.Subscribe(capacity: 4);
        using VmEventSubscription roomy = hub.Subscribe(capacity: 100);

        for (int i = 0; i < 10; i++)
        {
            hub.Publish("tick", Seq(i));
        }
        hub.Complete();

        Assert.Equal(6, slow.LostCount);
        Assert.Equal(["0", "1", "2", "3", "lost 6"], await DescribeAsync(slow));
        Assert.Equal(0, roomy.LostCount);
        Assert.Equal(10, (await DescribeAsync(roomy)).Count);
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task TheGapMarkerSitsBetweenTheEventsBeforeAndAfterIt()
    {
        var hub = new VmEventHub();
        using VmEventSubscription subscription = hub.Subscribe(capacity: 4);
        await using IAsyncEnumerator<VmEvent> reader = subscription.ReadAllAsync().GetAsyncEnumerator();

        for (int i = 0; i < 6; i++)
        {
            hub.Publish("tick", Seq(i)); // 4 and 5 are lost
        }
        Assert.True(await reader.MoveNextAsync());
        Assert.True(await reader.MoveNextAsync()); // 0 and 1 read: room for the marker and 6
        hub.Publish("tick", Seq(6));
        hub.Complete();

        var rest = new List<string>();
        while (await reader.MoveNextAsync())
        {
            rest.Add(Describe(reader.Current));
        }
        Assert.Equal(["2", "3", "lost 2", "6"], rest);
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task EventsCarryWallClockAndMonotonicTime()
    {
        var hub = new VmEventHub();
        using VmEventSubscription subscription = hub.Subscribe();
        DateTimeOffset before = DateTimeOffset.UtcNow;

        hub.Publish(VmEventNames.S2IdleEnter);
        await Task.Delay(20);
        hub.Publish(VmEventNames.Suspended, new Dictionary<string, string> { ["vcpus"] = "2" });
        hub.Complete();

        List<VmEvent> events = await ReadAllAsync(subscription);
        Assert.Equal([VmEventNames.S2IdleEnter, VmEventNames.Suspended], events.Select(e => e.Event));
        Assert.InRange(events[0].Timestamp, before, DateTimeOffset.UtcNow);
        Assert.True(events[1].UptimeMs - events[0].UptimeMs >= 15);
        Assert.Null(events[0].Properties);
        Assert.Equal("2", events[1].Properties!["vcpus"]);
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task DisposingUnsubscribesAndCompletingEndsEveryStream()
    {
        var hub = new VmEventHub();
        VmEventSubscription gone = hub.Subscribe();
        using VmEventSubscription stays = hub.Subscribe();
        Assert.Equal(2, hub.SubscriberCount);

        gone.Dispose();
        hub.Publish("after-dispose");
        hub.Complete();
        hub.Publish("after-complete");
        using VmEventSubscription late = hub.Subscribe();

        Assert.Equal(0, hub.SubscriberCount);
        Assert.Empty(await ReadAllAsync(gone));
        Assert.Equal(["after-dispose"], (await ReadAllAsync(stays)).Select(e => e.Event));
        Assert.Empty(await ReadAllAsync(late));
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task ReadingCanBeCancelled()
    {
        var hub = new VmEventHub();
        using VmEventSubscription subscription = hub.Subscribe();
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (VmEvent _ in subscription.ReadAllAsync(cts.Token))
            {
            }
        });
    }

    internal static Dictionary<string, string> Seq(int i) => new() { ["seq"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture) };

    private static async Task<List<VmEvent>> ReadAllAsync(VmEventSubscription subscription)
    {
        var events = new List<VmEvent>();
        await foreach (VmEvent e in subscription.ReadAllAsync())
        {
            events.Add(e);
        }
        return events;
    }

    private static async Task<List<int>> SeqsAsync(VmEventSubscription subscription) =>
        [.. (await ReadAllAsync(subscription)).Select(e => int.Parse(e.Properties!["seq"], System.Globalization.CultureInfo.InvariantCulture))];

    private static async Task<List<string>> DescribeAsync(VmEventSubscription subscription) =>
        [.. (await ReadAllAsync(subscription)).Select(Describe)];

    private static string Describe(VmEvent e) =>
        e.Event == VmEventNames.EventsLost ? $"lost {e.Properties!["count"]}" : e.Properties!["seq"];
}
