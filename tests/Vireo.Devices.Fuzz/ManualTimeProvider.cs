namespace Vireo.Devices.Fuzz;

/// <summary>
/// A clock that moves only when the input says so, so that one input always runs the same way:
/// the PM timer and the RTC read it, and the PM device's one-shot timer alarm fires when
/// <see cref="Advance"/> passes its due time, on the fuzzing thread (where a vCPU or the timer
/// thread would run it in the machine).
/// </summary>
public sealed class ManualTimeProvider : TimeProvider
{
    /// <summary>Where the clock starts: a fixed date, so RTC reads do not depend on the host.</summary>
    public static readonly DateTimeOffset Epoch = new(2026, 12, 5, 0, 0, 0, TimeSpan.Zero);

    // The PM timer's alarm fires once per 2.3 s of PM timer (bit 23 toggling); far fewer than
    // this in the longest advance an input can ask for.
    private const int MaxAlarmsPerAdvance = 10_000;

    private readonly List<ManualTimer> _timers = [];
    private long _ticks;

    /// <inheritdoc/>
    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    /// <inheritdoc/>
    public override long GetTimestamp() => _ticks;

    /// <inheritdoc/>
    public override DateTimeOffset GetUtcNow() => Epoch + TimeSpan.FromTicks(_ticks);

    /// <summary>How many timer alarms have fired.</summary>
    public int Fired { get; private set; }

    /// <inheritdoc/>
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(this, callback, state);
        _timers.Add(timer);
        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>Moves the clock on and fires every alarm that fell due, in due order.</summary>
    public void Advance(TimeSpan by)
    {
        long target = _ticks + Math.Max(0, by.Ticks);
        for (int fired = 0; ; fired++)
        {
            if (fired == MaxAlarmsPerAdvance)
            {
                throw new InvalidOperationException($"more than {MaxAlarmsPerAdvance} timer alarms in one advance of {by}: an alarm re-arms itself without time moving");
            }
            ManualTimer? next = null;
            foreach (ManualTimer t in _timers)
            {
                if (t.Due is long due && due <= target && (next is null || due < next.Due))
                {
                    next = t;
                }
            }
            if (next is null)
            {
                break;
            }
            _ticks = Math.Max(_ticks, next.Due!.Value);
            next.Fire();
            Fired++;
        }
        _ticks = target;
    }

    private sealed class ManualTimer(ManualTimeProvider clock, TimerCallback callback, object? state) : ITimer
    {
        private long _period;

        public long? Due { get; private set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            Due = dueTime == Timeout.InfiniteTimeSpan ? null : clock._ticks + Math.Max(0, dueTime.Ticks);
            _period = period == Timeout.InfiniteTimeSpan ? 0 : Math.Max(1, period.Ticks);
            return true;
        }

        public void Fire()
        {
            Due = _period > 0 ? Due + _period : null;
            callback(state);
        }

        public void Dispose()
        {
            Due = null;
            clock._timers.Remove(this);
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
