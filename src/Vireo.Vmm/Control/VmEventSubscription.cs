using System.Globalization;
using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Vireo.Vmm;

/// <summary>One subscriber's bounded view of a <see cref="VmEventHub"/>.</summary>
public sealed class VmEventSubscription : IDisposable
{
    private readonly VmEventHub _hub;
    private readonly Channel<VmEvent> _buffer;
    private readonly Lock _gate = new();

    // Events dropped since the last one that fit; turned into one events-lost event, in order.
    private long _pendingLost;
    private long _totalLost;

    internal VmEventSubscription(VmEventHub hub, int capacity)
    {
        _hub = hub;
        _buffer = Channel.CreateBounded<VmEvent>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>Events this subscriber lost because its buffer was full.</summary>
    public long LostCount => Interlocked.Read(ref _totalLost);

    /// <summary>The events in publication order, with an events-lost event where some were
    /// dropped. Ends when the hub completes or the subscription is disposed.</summary>
    public async IAsyncEnumerable<VmEvent> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (true)
        {
            VmEvent? next = TakeNext();
            if (next is not null)
            {
                yield return next;
                continue;
            }
            if (!await _buffer.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                // Completed: report a gap at the very end too.
                next = TakeNext();
                if (next is not null)
                {
                    yield return next;
                }
                yield break;
            }
        }
    }

    /// <summary>Unsubscribes and ends <see cref="ReadAllAsync"/>.</summary>
    public void Dispose()
    {
        _hub.Remove(this);
        Complete();
    }

    /// <summary>Called under the hub's lock; never blocks.</summary>
    internal void Offer(VmEvent e)
    {
        lock (_gate)
        {
            if (_pendingLost > 0)
            {
                if (!_buffer.Writer.TryWrite(LostEvent(_pendingLost)))
                {
                    Lose();
                    return;
                }
                _pendingLost = 0;
            }
            if (!_buffer.Writer.TryWrite(e))
            {
                Lose();
            }
        }
    }

    internal void Complete() => _buffer.Writer.TryComplete();

    private VmEvent? TakeNext()
    {
        lock (_gate)
        {
            if (_buffer.Reader.TryRead(out VmEvent? e))
            {
                return e;
            }
            // The buffer is empty, so everything before the gap has been read: the gap comes next.
            if (_pendingLost > 0)
            {
                VmEvent lost = LostEvent(_pendingLost);
                _pendingLost = 0;
                return lost;
            }
            return null;
        }
    }

    private void Lose()
    {
        _pendingLost++;
        Interlocked.Increment(ref _totalLost);
    }

    private VmEvent LostEvent(long count) =>
        _hub.Stamp(VmEventNames.EventsLost, new Dictionary<string, string>
        {
            ["count"] = count.ToString(CultureInfo.InvariantCulture),
        });
}
