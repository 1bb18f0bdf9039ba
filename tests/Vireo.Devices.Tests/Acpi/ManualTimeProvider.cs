namespace Vireo.Devices.Tests;

/// <summary>A clock that moves only when told to, with one-shot timers that fire, on the caller's
/// thread, when <see cref="Advance"/> passes their due time.</summary>
internal sealed class ManualTimeProvider : TimeProvider
{
    private readonly List<ManualTimer> _timers = [];
    private long _now;

    /// <summary>Ticks of 100 ns, so PM timer counts stay whole numbers in tests that need them.</summary>
    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public int ActiveTimers => _timers.Count(t => t.Due is not null);

    public override long GetTimestamp() => _now;

    public void Advance(TimeSpan by)
    {
        long target = _now + by.Ticks;
        while (true)
        {
            ManualTimer? next = _timers.Where(t => t.Due is long due && due <= target).MinBy(t => t.Due);
            if (next is null)
            {
                break;
            }
            _now = Math.Max(_now, next.Due!.Value);
            next.Fire();
        }
        _now = target;
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(this, callback, state);
        _timers.Add(timer);
        timer.Change(dueTime, period);
        return timer;
    }

    private sealed class ManualTimer(ManualTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        public long? Due { get; private set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            if (period != Timeout.InfiniteTimeSpan)
            {
                throw new NotSupportedException("only one-shot timers are modelled");
            }
            Due = dueTime == Timeout.InfiniteTimeSpan ? null : owner._now + dueTime.Ticks;
            return true;
        }

        public void Fire()
        {
            Due = null;
            callback(state);
        }

        public void Dispose()
        {
            Due = null;
            owner._timers.Remove(this);
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
