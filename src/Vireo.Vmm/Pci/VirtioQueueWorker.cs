using Vireo.Sys;
using Vireo.Virtio;

namespace Vireo.Vmm;

/// <summary>
/// The thread that serves one virtio function's queues: it sleeps in epoll_wait on the queues'
/// doorbell eventfds (KVM signals one when the guest writes the queue's notify address) and on
/// the device's host-side sources (<see cref="IVirtioHostEvents"/>: a tap, sockets, waited on
/// only while the device can take their input) and
/// calls <see cref="VirtioPciFunction.NotifyQueue"/> for each, so queue processing runs neither
/// on a vCPU thread nor on the thread pool. A guest that misprograms a ring costs the device a
/// reset (the transport's business); an unexpected failure stops the worker and reports the
/// device lost, never the process.
/// </summary>
internal sealed class VirtioQueueWorker : IDisposable
{
    private const ulong StopToken = ulong.MaxValue;
    private const ulong ParkToken = ulong.MaxValue - 1;
    // Tokens from here on are host events (index + base); below, queue doorbells.
    private const ulong HostEventBase = 1UL << 32;

    private readonly VirtioPciFunction _transport;
    private readonly EventFd[] _doorbells;
    private readonly IVirtioHostEvents? _host;
    private readonly IReadOnlyList<SafeFd> _hostSources;
    // Whether each host source is in the epoll's interest now, and whether it is parked: its
    // queues could not be served (no driver, a device that needs a reset) and it waits for the
    // guest's next kick. The worker thread's alone once started.
    private readonly bool[] _watching;
    private readonly bool[] _parked;
    private readonly Action<string> _lost;
    private readonly Epoll _epoll;
    private readonly EventFd _stop;
    private readonly EventFd _park;
    private readonly ManualResetEventSlim _standingStill = new(false);
    private readonly ManualResetEventSlim _resume = new(true);
    // Queues kicked while parked, served on resumption.
    private readonly bool[] _kicked;
    private readonly Thread _thread;
    private volatile bool _parkRequested;
    private int _disposed;

    /// <summary>A worker for <paramref name="transport"/>'s queues, queue q kicked through
    /// <paramref name="doorbells"/>[q] (which stay the caller's); not started.</summary>
    /// <param name="id">The device's name, for the thread and messages.</param>
    /// <param name="transport">The transport whose queues it serves.</param>
    /// <param name="doorbells">One eventfd per queue.</param>
    /// <param name="lost">Told, once, why the worker stopped if it failed.</param>
    /// <param name="host">The device's host side (<see cref="IVirtioHostEvents"/>), or null.</param>
    public VirtioQueueWorker(string id, VirtioPciFunction transport, EventFd[] doorbells, Action<string> lost, IVirtioHostEvents? host = null)
    {
        _transport = transport;
        _doorbells = doorbells;
        _lost = lost;
        _host = host;
        _hostSources = host?.HostEventSources ?? [];
        _watching = new bool[_hostSources.Count];
        _parked = new bool[_hostSources.Count];
        _kicked = new bool[doorbells.Length];
        _epoll = Epoll.Create();
        _stop = EventFd.Create();
        _park = EventFd.Create();
        try
        {
            _epoll.Add(_stop.Handle, StopToken);
            _epoll.Add(_park.Handle, ParkToken);
            for (int q = 0; q < doorbells.Length; q++)
            {
                FileDescriptor.SetNonBlocking(doorbells[q].Handle);
                _epoll.Add(doorbells[q].Handle, (ulong)q);
            }
            for (int i = 0; i < _hostSources.Count; i++)
            {
                _watching[i] = _host!.WantsHostEvent(i);
                _epoll.Add(_hostSources[i], HostEventBase + (ulong)i, _watching[i] ? EpollEvents.In : EpollEvents.None);
            }
        }
        catch
        {
            _epoll.Dispose();
            _stop.Dispose();
            _park.Dispose();
            throw;
        }
        _thread = new Thread(Run) { Name = $"virtio-{id}", IsBackground = true };
    }

    /// <summary>Starts serving.</summary>
    public void Start() => _thread.Start();

    /// <summary>Makes the worker stand still, for a snapshot of a paused machine: it finishes the
    /// requests the device has in flight on the host (<see cref="IVirtioHostEvents.Busy"/>; their
    /// completions reach the guest's rings and interrupts as usual), then serves nothing, neither
    /// kicks nor host input, until <see cref="Resume"/>. Returns whether it stood still within
    /// <paramref name="timeout"/> (a worker that never started, or has stopped, stands still).</summary>
    public bool Park(TimeSpan timeout)
    {
        if (_thread.ThreadState == ThreadState.Unstarted || !_thread.IsAlive)
        {
            return true;
        }
        _resume.Reset();
        _standingStill.Reset();
        _parkRequested = true;
        _park.Signal();
        return _standingStill.Wait(timeout) || !_thread.IsAlive;
    }

    /// <summary>Lets a parked worker serve again: first every queue kicked meanwhile, and each
    /// queue once more when <paramref name="kickAll"/> (a restored device's driver kicked its queues
    /// in another process; a spurious kick is harmless, virtio 1.2 §2.7.13.3).</summary>
    public void Resume(bool kickAll = false)
    {
        if (kickAll)
        {
            foreach (EventFd doorbell in _doorbells)
            {
                doorbell.Signal();
            }
        }
        _parkRequested = false;
        _resume.Set();
    }

    /// <summary>Stops the thread (after the queue it is serving, if any) and closes its epoll.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _stop.Signal();
        _resume.Set();
        if (_thread.ThreadState != ThreadState.Unstarted)
        {
            _thread.Join();
        }
        _epoll.Dispose();
        _stop.Dispose();
        _park.Dispose();
        _standingStill.Dispose();
        _resume.Dispose();
    }

    // Waits on each host source only while the device can take its input (level-triggered:
    // a source the device leaves unread would otherwise wake this thread for ever).
    private void UpdateHostInterest()
    {
        for (int i = 0; i < _hostSources.Count; i++)
        {
            bool wanted = !_parked[i] && _host!.WantsHostEvent(i);
            if (wanted != _watching[i])
            {
                _epoll.Modify(_hostSources[i], HostEventBase + (ulong)i, wanted ? EpollEvents.In : EpollEvents.None);
                _watching[i] = wanted;
            }
        }
    }

    private void Run()
    {
        VmmConfinement.EnterThread(VmmThreadKind.Device);
        Span<ulong> ready = stackalloc ulong[16];
        try
        {
            while (true)
            {
                int n = _epoll.Wait(ready, Timeout.InfiniteTimeSpan);
                for (int i = 0; i < n; i++)
                {
                    if (ready[i] == StopToken)
                    {
                        return;
                    }
                    if (ready[i] == ParkToken)
                    {
                        _park.TryRead();
                        if (_parkRequested && !StandStill())
                        {
                            return;
                        }
                        continue;
                    }
                    if (ready[i] >= HostEventBase)
                    {
                        ServeHostSource((int)(ready[i] - HostEventBase));
                        continue;
                    }
                    int queue = (int)ready[i];
                    Array.Clear(_parked);
                    // One pass serves every kick so far: the count itself means nothing.
                    _doorbells[queue].TryRead();
                    _transport.NotifyQueue(queue);
                }
                UpdateHostInterest();
            }
        }
        catch (Exception e)
        {
            _lost($"its queue worker failed: {e.Message}");
        }
        finally
        {
            // A worker that stops stands still for good; whoever waits to park it need not wait.
            _standingStill.Set();
        }
    }

    // The host has input for the guest (or a result of the guest's request): the device takes it
    // into the queues' buffers.
    private void ServeHostSource(int source)
    {
        ulong queues = _host!.ServeHostEvent(source);
        bool served = queues == 0;
        for (int q = 0; queues != 0; q++, queues >>= 1)
        {
            if ((queues & 1) != 0 && q < _doorbells.Length)
            {
                served |= _transport.NotifyQueue(q);
            }
        }
        // Input for a guest that is not taking it stays where it is until the guest kicks.
        _parked[source] = !served;
    }

    // Park: completes what the device has in flight (serving only its host sources; a kick is
    // taken off its doorbell and kept for later), says it stands still, and waits to resume.
    // False when the worker is to stop.
    private bool StandStill()
    {
        Span<ulong> ready = stackalloc ulong[16];
        while (_host is { Busy: true })
        {
            int n = _epoll.Wait(ready, TimeSpan.FromMilliseconds(100));
            for (int i = 0; i < n; i++)
            {
                if (ready[i] == StopToken)
                {
                    return false;
                }
                if (ready[i] >= HostEventBase)
                {
                    int source = (int)(ready[i] - HostEventBase);
                    if (_host.WantsHostEvent(source))
                    {
                        ServeHostSource(source);
                    }
                }
                else if (ready[i] < (ulong)_doorbells.Length)
                {
                    _doorbells[ready[i]].TryRead();
                    _kicked[ready[i]] = true;
                }
            }
        }
        _standingStill.Set();
        _resume.Wait();
        if (Volatile.Read(ref _disposed) != 0)
        {
            return false;
        }
        for (int q = 0; q < _kicked.Length; q++)
        {
            if (_kicked[q])
            {
                _kicked[q] = false;
                _doorbells[q].Signal();
            }
        }
        return true;
    }
}
