using Vireo.Sys;

namespace Vireo.Vmm;

/// <summary>
/// The one thread that watches device eventfds the VMM must see itself (a masked MSI/MSI-X
/// vector's trigger) with epoll: it sleeps in epoll_wait and never polls. Started on the first
/// <see cref="Watch"/>. A handler runs on this thread; it may still run once for a descriptor
/// unwatched a moment ago, so handlers check their own state under their own lock.
/// </summary>
internal sealed class InterruptEventLoop : IDisposable
{
    private const ulong StopToken = 0;

    private readonly object _gate = new();
    private readonly Dictionary<ulong, (EventFd Fd, Action Handler)> _handlers = [];
    private readonly Action<Exception> _onHandlerError;
    private Epoll? _epoll;
    private EventFd? _stop;
    private Thread? _thread;
    private ulong _nextToken = StopToken + 1;
    private bool _disposed;

    /// <summary>A loop that reports a handler's exception to <paramref name="onHandlerError"/>
    /// after it stops watching that handler's descriptor (an unread level-triggered eventfd would
    /// otherwise wake the loop for ever).</summary>
    public InterruptEventLoop(Action<Exception> onHandlerError)
    {
        _onHandlerError = onHandlerError;
    }

    /// <summary>Calls <paramref name="onReadable"/> on the loop's thread whenever
    /// <paramref name="fd"/> is readable (level-triggered: the handler must read it); returns the
    /// token to <see cref="Unwatch"/> with.</summary>
    public ulong Watch(EventFd fd, Action onReadable)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            EnsureStarted();
            ulong token = _nextToken++;
            _handlers[token] = (fd, onReadable);
            try
            {
                _epoll!.Add(fd.Handle, token);
            }
            catch
            {
                _handlers.Remove(token);
                throw;
            }
            return token;
        }
    }

    /// <summary>Stops watching <paramref name="fd"/>.</summary>
    public void Unwatch(EventFd fd, ulong token)
    {
        lock (_gate)
        {
            // A closed descriptor has already left the epoll set.
            if (_handlers.Remove(token) && !_disposed && !fd.Handle.IsClosed)
            {
                _epoll!.Remove(fd.Handle);
            }
        }
    }

    /// <summary>How many descriptors are watched (for tests).</summary>
    public int Watched
    {
        get
        {
            lock (_gate)
            {
                return _handlers.Count;
            }
        }
    }

    /// <summary>Stops the thread and closes the epoll instance; watched eventfds stay open.</summary>
    public void Dispose()
    {
        Thread? thread;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            _handlers.Clear();
            thread = _thread;
            _stop?.Signal();
        }
        thread?.Join();
        _epoll?.Dispose();
        _stop?.Dispose();
    }

    private void EnsureStarted()
    {
        if (_thread is not null)
        {
            return;
        }
        _epoll = Epoll.Create();
        _stop = EventFd.Create();
        _epoll.Add(_stop.Handle, StopToken);
        _thread = new Thread(Run) { Name = "irq-events", IsBackground = true };
        _thread.Start();
    }

    private void Run()
    {
        VmmConfinement.EnterThread(VmmThreadKind.Device);
        Span<ulong> ready = stackalloc ulong[32];
        while (true)
        {
            int n;
            try
            {
                n = _epoll!.Wait(ready, Timeout.InfiniteTimeSpan);
            }
            catch (ErrnoException e)
            {
                // Not expected (epoll_wait fails only on a bad descriptor or buffer); report it
                // rather than take the process down from a background thread.
                _onHandlerError(e);
                return;
            }
            for (int i = 0; i < n; i++)
            {
                if (ready[i] == StopToken)
                {
                    return;
                }
                (EventFd Fd, Action Handler) watch;
                lock (_gate)
                {
                    if (!_handlers.TryGetValue(ready[i], out watch))
                    {
                        continue;
                    }
                }
                try
                {
                    watch.Handler();
                }
                catch (Exception e)
                {
                    Unwatch(watch.Fd, ready[i]);
                    _onHandlerError(e);
                }
            }
        }
    }
}
