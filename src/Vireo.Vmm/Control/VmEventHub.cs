using System.Diagnostics;

namespace Vireo.Vmm;

/// <summary>Fans VM events out to any number of subscribers. <see cref="Publish(string,
/// IReadOnlyDictionary{string, string}?)"/> never blocks on a subscriber: each has its own
/// bounded buffer, and a subscriber whose buffer is full loses the events that do not fit; it then
/// reads an <see cref="VmEventNames.EventsLost"/> event with the count at the place of the gap,
/// and the events after it. Every subscriber sees events in the same order.</summary>
public sealed class VmEventHub
{
    /// <summary>Events a subscriber buffers by default before it starts losing them.</summary>
    public const int DefaultCapacity = 256;

    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly long _start;
    private VmEventSubscription[] _subscribers = [];
    private bool _completed;

    /// <summary>A hub stamped by the system clock.</summary>
    public VmEventHub()
        : this(TimeProvider.System)
    {
    }

    /// <summary>A hub stamped by <paramref name="time"/> (tests step it).</summary>
    public VmEventHub(TimeProvider time)
    {
        _time = time;
        _start = time.GetTimestamp();
    }

    /// <summary>Subscribers now.</summary>
    public int SubscriberCount => Volatile.Read(ref _subscribers).Length;

    /// <summary>Stamps the event with the time and hands it to every subscriber. Cheap and
    /// non-blocking; safe to call from any thread, vCPU threads included.</summary>
    public void Publish(string name, IReadOnlyDictionary<string, string>? properties = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        lock (_gate)
        {
            // One lock for stamping and fan-out keeps the order identical for every subscriber.
            if (_completed)
            {
                return;
            }
            VmEvent e = Stamp(name, properties);
            foreach (VmEventSubscription subscriber in _subscribers)
            {
                subscriber.Offer(e);
            }
        }
    }

    /// <summary>Starts a subscription that receives events published from now on, buffering up
    /// to <paramref name="capacity"/> of them. Dispose it to unsubscribe.</summary>
    public VmEventSubscription Subscribe(int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        var subscription = new VmEventSubscription(this, capacity);
        lock (_gate)
        {
            if (_completed)
            {
                subscription.Complete();
            }
            else
            {
                _subscribers = [.. _subscribers, subscription];
            }
        }
        return subscription;
    }

    /// <summary>No more events (the VM is gone): every subscription ends after what it buffered.</summary>
    public void Complete()
    {
        lock (_gate)
        {
            _completed = true;
            foreach (VmEventSubscription subscriber in _subscribers)
            {
                subscriber.Complete();
            }
            _subscribers = [];
        }
    }

    internal VmEvent Stamp(string name, IReadOnlyDictionary<string, string>? properties)
    {
        double uptimeMs = Math.Round(_time.GetElapsedTime(_start).TotalMilliseconds, 3);
        return new VmEvent(name, _time.GetUtcNow(), uptimeMs, properties);
    }

    internal void Remove(VmEventSubscription subscription)
    {
        lock (_gate)
        {
            int i = Array.IndexOf(_subscribers, subscription);
            if (i >= 0)
            {
                _subscribers = [.. _subscribers[..i], .. _subscribers[(i + 1)..]];
            }
        }
    }
}
