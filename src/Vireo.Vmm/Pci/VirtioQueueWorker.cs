using Vireo.Sys;
using Vireo.Virtio;

namespace Vireo.Vmm;

/// <summary>
/// The thread that serves one virtio function's queues: it sleeps in epoll_wait on the queues'
/// doorbell eventfds (KVM signals one when the guest writes the queue's notify address) and on
/// the device's host-side sources (<see cref="IVirtioHostEvents"/>: a tap, sockets) and
/// calls <see cref="VirtioPciFunction.NotifyQueue"/> for each, so queue processing runs neither
/// on a vCPU thread nor on the thread pool. A guest that misprograms a ring costs the device a
/// reset (the transport's business); an unexpected failure stops the worker and reports the
/// device lost, never the process.
/// </summary>
internal sealed class VirtioQueueWorker : IDisposable
{
    private const ulong StopToken = ulong.MaxValue;
    // Tokens from here on are host events (index + base); below, queue doorbells.
    private const ulong HostEventBase = 1UL << 32;

    private readonly VirtioPciFunction _transport;
    private readonly EventFd[] _doorbells;
    private readonly IReadOnlyList<VirtioHostEvent> _hostEvents;
    private readonly Action<string> _lost;
    private readonly Epoll _epoll;
    private readonly EventFd _stop;
    private readonly Thread _thread;
    private int _disposed;

    /// <summary>A worker for <paramref name="transport"/>'s queues, queue q kicked through
    /// <paramref name="doorbells"/>[q] (which stay the caller's); not started.</summary>
    /// <param name="id">The device's name, for the thread and messages.</param>
    /// <param name="transport">The transport whose queues it serves.</param>
    /// <param name="doorbells">One eventfd per queue.</param>
    /// <param name="lost">Told, once, why the worker stopped if it failed.</param>
    /// <param name="hostEvents">The device's host-side sources (<see cref="IVirtioHostEvents"/>),
    /// waited on edge-triggered, each serving its queue when readable; none by default.</param>
    public VirtioQueueWorker(string id, VirtioPciFunction transport, EventFd[] doorbells, Action<string> lost, IReadOnlyList<VirtioHostEvent>? hostEvents = null)
    {
        _transport = transport;
        _doorbells = doorbells;
        _lost = lost;
        _hostEvents = hostEvents ?? [];
        _epoll = Epoll.Create();
        _stop = EventFd.Create();
        try
        {
            _epoll.Add(_stop.Handle, StopToken);
            for (int q = 0; q < doorbells.Length; q++)
            {
                FileDescriptor.SetNonBlocking(doorbells[q].Handle);
                _epoll.Add(doorbells[q].Handle, (ulong)q);
            }
            for (int i = 0; i < _hostEvents.Count; i++)
            {
                _epoll.Add(_hostEvents[i].Source, HostEventBase + (ulong)i, EpollEvents.In | EpollEvents.EdgeTriggered);
            }
        }
        catch
        {
            _epoll.Dispose();
            _stop.Dispose();
            throw;
        }
        _thread = new Thread(Run) { Name = $"virtio-{id}", IsBackground = true };
    }

    /// <summary>Starts serving.</summary>
    public void Start() => _thread.Start();

    /// <summary>Stops the thread (after the queue it is serving, if any) and closes its epoll.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _stop.Signal();
        if (_thread.ThreadState != ThreadState.Unstarted)
        {
            _thread.Join();
        }
        _epoll.Dispose();
        _stop.Dispose();
    }

    private void Run()
    {
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
                    if (ready[i] >= HostEventBase)
                    {
                        // The host has input for the guest: the device takes it into the queue's buffers.
                        _transport.NotifyQueue(_hostEvents[(int)(ready[i] - HostEventBase)].Queue);
                        continue;
                    }
                    int queue = (int)ready[i];
                    // One pass serves every kick so far: the count itself means nothing.
                    _doorbells[queue].TryRead();
                    _transport.NotifyQueue(queue);
                }
            }
        }
        catch (Exception e)
        {
            _lost($"its queue worker failed: {e.Message}");
        }
    }
}
