using System.Diagnostics;
using System.Text.Json;
using Vireo.Api;

namespace Vireo.Api.Tests;

/// <summary>vm.events over the socket.</summary>
public sealed class EventStreamTests
{
    [Fact(Timeout = TestLimits.TestMs)]
    public async Task TwoSubscribersGetEveryEventInOrder()
    {
        await using TestApi api = await TestApi.StartAsync();
        using ApiEventStream first = await api.Client.OpenEventsAsync();
        using ApiEventStream second = await api.Client.OpenEventsAsync();
        Assert.Equal(2, api.Vm.Events.SubscriberCount);

        for (int i = 0; i < 50; i++)
        {
            api.Vm.Events.Publish("tick", VmEventHubTests.Seq(i));
        }
        api.Vm.Events.Complete();

        Assert.Equal(Enumerable.Range(0, 50), await SeqsAsync(first));
        Assert.Equal(Enumerable.Range(0, 50), await SeqsAsync(second));
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task EachEventIsOneLineOfSnakeCaseJson()
    {
        await using TestApi api = await TestApi.StartAsync();
        using ApiEventStream stream = await api.Client.OpenEventsAsync();

        api.Vm.Events.Publish(VmEventNames.S2IdleExit, new Dictionary<string, string> { ["reason"] = "wake" });
        api.Vm.Events.Publish(VmEventNames.Resumed);
        api.Vm.Events.Complete();

        var lines = new List<string>();
        await foreach (string line in stream.ReadLinesAsync())
        {
            lines.Add(line);
        }
        Assert.Equal(2, lines.Count);
        using JsonDocument first = JsonDocument.Parse(lines[0]);
        Assert.Equal("s2idle-exit", first.RootElement.GetProperty("event").GetString());
        Assert.Equal("wake", first.RootElement.GetProperty("properties").GetProperty("reason").GetString());
        Assert.True(first.RootElement.GetProperty("timestamp").TryGetDateTimeOffset(out _));
        Assert.Equal(JsonValueKind.Number, first.RootElement.GetProperty("uptime_ms").ValueKind);
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task ASlowSubscriberBlocksNeitherTheVmmNorOtherSubscribers()
    {
        const int Count = 3000;
        await using TestApi api = await TestApi.StartAsync(new ApiServerOptions { EventBufferCapacity = 64 });
        using ApiEventStream slow = await api.Client.OpenEventsAsync(); // never read until the end
        using ApiEventStream fast = await api.Client.OpenEventsAsync();
        var received = new List<int>();
        int receivedCount = 0;
        Task reader = Task.Run(async () =>
        {
            await foreach (VmEvent e in fast.ReadEventsAsync())
            {
                received.Add(int.Parse(e.Properties!["seq"], System.Globalization.CultureInfo.InvariantCulture));
                Volatile.Write(ref receivedCount, received.Count);
            }
        });

        // Big events fill the slow client's socket buffers quickly; the fast one is given time
        // to keep up, in batches smaller than its buffer.
        string padding = new('p', 2048);
        TimeSpan slowestPublish = TimeSpan.Zero;
        for (int i = 0; i < Count; i++)
        {
            var properties = new Dictionary<string, string> { ["seq"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture), ["pad"] = padding };
            long start = Stopwatch.GetTimestamp();
            api.Vm.Events.Publish("tick", properties);
            TimeSpan took = Stopwatch.GetElapsedTime(start);
            slowestPublish = took > slowestPublish ? took : slowestPublish;
            if (i % 32 == 31)
            {
                await WaitUntilAsync(() => Volatile.Read(ref receivedCount) == i + 1);
            }
        }
        api.Vm.Events.Complete();
        await reader.WaitAsync(TestApi.Timeout);

        Assert.Equal(Enumerable.Range(0, Count), received);
        Assert.True(slowestPublish < TimeSpan.FromMilliseconds(500), $"a Publish took {slowestPublish.TotalMilliseconds} ms");

        // The slow client gets a prefix, then the gap with its size, and the counts add up.
        List<VmEvent> late = [];
        await foreach (VmEvent e in slow.ReadEventsAsync())
        {
            late.Add(e);
        }
        int delivered = late.Count(e => e.Event == "tick");
        VmEvent lost = Assert.Single(late, e => e.Event == VmEventNames.EventsLost);
        Assert.True(delivered < Count, "the slow subscriber should have lost events");
        Assert.Equal(Count, delivered + long.Parse(lost.Properties!["count"], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(Enumerable.Range(0, delivered), late.Where(e => e.Event == "tick").Select(e => int.Parse(e.Properties!["seq"], System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task AClientThatLeavesIsUnsubscribed()
    {
        await using TestApi api = await TestApi.StartAsync();
        ApiEventStream stream = await api.Client.OpenEventsAsync();
        Assert.Equal(1, api.Vm.Events.SubscriberCount);

        stream.Dispose();

        await WaitUntilAsync(() => api.Vm.Events.SubscriberCount == 0);
        api.Vm.Events.Publish("nobody-listens");
        Assert.NotNull(await api.Client.GetInfoAsync());
    }

    [Fact(Timeout = TestLimits.TestMs)]
    public async Task StoppingTheServerEndsOpenStreams()
    {
        TestApi api = await TestApi.StartAsync();
        using ApiEventStream stream = await api.Client.OpenEventsAsync();
        await using IAsyncEnumerator<VmEvent> reader = stream.ReadEventsAsync().GetAsyncEnumerator();
        api.Vm.Events.Publish("tick", VmEventHubTests.Seq(7));
        Assert.True(await reader.MoveNextAsync());

        var stop = Stopwatch.StartNew();
        await api.DisposeAsync();

        Assert.True(stop.Elapsed < TimeSpan.FromSeconds(4), $"stopping took {stop.Elapsed}");
        Assert.False(await reader.MoveNextAsync().AsTask().WaitAsync(TestApi.Timeout));
    }

    private static async Task<List<int>> SeqsAsync(ApiEventStream stream)
    {
        var seqs = new List<int>();
        await foreach (VmEvent e in stream.ReadEventsAsync())
        {
            seqs.Add(int.Parse(e.Properties!["seq"], System.Globalization.CultureInfo.InvariantCulture));
        }
        return seqs;
    }

    internal static async Task WaitUntilAsync(Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TestApi.Timeout, "condition not met in time");
            await Task.Delay(5);
        }
    }
}
