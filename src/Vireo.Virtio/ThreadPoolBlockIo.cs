using Vireo.Sys;

namespace Vireo.Virtio;

/// <summary>
/// A disk's reads and writes on a few threads of their own, each doing the backend's blocking
/// preadv, pwritev or fdatasync, results handed back through an eventfd: what QEMU's aio=threads does.
/// </summary>
/// <remarks>The threads start with the first request, on the thread that submits it (the queue
/// worker, already confined), so they inherit its seccomp filter; they stop on
/// <see cref="Dispose"/> after the request each is running.</remarks>
public sealed class ThreadPoolBlockIo : IBlockIoEngine
{
    private readonly IBlockBackend _backend;
    private readonly int _threadCount;
    private readonly Queue<Work> _queued = new();
    private readonly List<Work> _batch = [];
    private readonly Queue<IoCompletion> _done = new();
    private readonly EventFd _ready = EventFd.Create();
    private readonly List<Thread> _threads = [];
    private bool _stopping;

    /// <summary>An engine of <paramref name="threads"/> threads over <paramref name="backend"/>
    /// (which must be safe for concurrent calls, as <see cref="RawFileBackend"/> is; it stays the caller's).</summary>
    public ThreadPoolBlockIo(IBlockBackend backend, int threads = 4)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(threads, 64);
        _backend = backend;
        _threadCount = threads;
    }

    /// <inheritdoc/>
    public string Name => "threads";

    /// <inheritdoc/>
    public SafeFd CompletionSource => _ready.Handle;

    /// <inheritdoc/>
    public bool TrySubmit(bool write, long offset, ReadOnlySpan<IoSegment> segments, ulong tag)
    {
        if (write && _backend.ReadOnly)
        {
            return false;
        }
        _batch.Add(new Work(write ? WorkKind.Write : WorkKind.Read, offset, segments.ToArray(), tag));
        return true;
    }

    /// <inheritdoc/>
    public bool TrySubmitFlush(ulong tag)
    {
        _batch.Add(new Work(WorkKind.Flush, 0, [], tag));
        return true;
    }

    /// <inheritdoc/>
    public void Submit()
    {
        if (_batch.Count == 0)
        {
            return;
        }
        lock (_queued)
        {
            ObjectDisposedException.ThrowIf(_stopping, this);
            foreach (Work work in _batch)
            {
                _queued.Enqueue(work);
            }
            if (_threads.Count == 0)
            {
                for (int i = 0; i < _threadCount; i++)
                {
                    var thread = new Thread(Run) { Name = $"disk-io-{i}", IsBackground = true };
                    thread.Start();
                    _threads.Add(thread);
                }
            }
            Monitor.PulseAll(_queued);
        }
        _batch.Clear();
    }

    /// <inheritdoc/>
    public int Reap(Span<IoCompletion> completions)
    {
        _ready.TryRead();
        int n = 0;
        lock (_done)
        {
            while (n < completions.Length && _done.TryDequeue(out IoCompletion completion))
            {
                completions[n++] = completion;
            }
            if (_done.Count > 0)
            {
                // Level-triggered for the caller: what it left stays announced.
                _ready.Signal();
            }
        }
        return n;
    }

    /// <inheritdoc/>
    public void WaitForCompletion()
    {
        Submit();
        lock (_done)
        {
            while (_done.Count == 0)
            {
                Monitor.Wait(_done);
            }
        }
    }

    /// <summary>Stops the threads after their current requests; queued ones are dropped.</summary>
    public void Dispose()
    {
        List<Thread> threads;
        lock (_queued)
        {
            if (_stopping)
            {
                return;
            }
            _stopping = true;
            _queued.Clear();
            Monitor.PulseAll(_queued);
            threads = [.. _threads];
        }
        foreach (Thread thread in threads)
        {
            thread.Join();
        }
        _ready.Dispose();
    }

    private void Run()
    {
        while (true)
        {
            Work work;
            lock (_queued)
            {
                while (_queued.Count == 0 && !_stopping)
                {
                    Monitor.Wait(_queued);
                }
                if (_stopping)
                {
                    return;
                }
                work = _queued.Dequeue();
            }
            int result;
            try
            {
                switch (work.Kind)
                {
                    case WorkKind.Write:
                        _backend.WriteAt(work.Offset, work.Segments);
                        break;
                    case WorkKind.Read:
                        _backend.ReadAt(work.Offset, work.Segments);
                        break;
                    default:
                        _backend.Flush();
                        break;
                }
                result = (int)IoSegment.TotalLength(work.Segments);
            }
            catch (Exception e) when (e is IOException or ArgumentException or InvalidOperationException)
            {
                result = -Errno.EIO;
            }
            lock (_done)
            {
                _done.Enqueue(new IoCompletion(work.Tag, result));
                Monitor.PulseAll(_done);
            }
            _ready.Signal();
        }
    }

    private enum WorkKind
    {
        Read,
        Write,
        Flush,
    }

    private readonly record struct Work(WorkKind Kind, long Offset, IoSegment[] Segments, ulong Tag);
}
