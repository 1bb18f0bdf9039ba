using Vireo.Devices;
using Vireo.Virtio;

namespace Vireo.Vmm;

/// <summary>
/// Feeds host keystrokes into a virtio console (hvc0) at the pace the guest takes them. The
/// device holds <see cref="VirtioConsole.InputCapacity"/> bytes until the driver's receive buffers
/// take them; what does not fit waits here (up to 1 MiB, as for the 8250) and is offered again
/// every <see cref="RetryInterval"/> until the device has room, so pasted text is neither lost
/// to the device's bound nor counted as dropped there. After each offer the receive queue is
/// served (<paramref name="notify"/>), which is what moves the bytes into guest buffers and
/// raises the queue's interrupt.
/// </summary>
/// <param name="device">The console device.</param>
/// <param name="notify">Serves the device's receive queue on the current machine's transport
/// (<c>VirtioPciFunction.NotifyQueue(VirtioConsole.ReceiveQueue)</c>); safe from any thread.</param>
public sealed class VirtioConsoleInput(VirtioConsole device, Action notify) : IConsoleInput, ISuspendable, IDisposable
{
    /// <summary>How often held bytes are offered again while the device is full.</summary>
    public static readonly TimeSpan RetryInterval = TimeSpan.FromMilliseconds(5);

    private const int MaxPending = 1 << 20;

    private readonly VirtioConsole _device = device ?? throw new ArgumentNullException(nameof(device));
    private readonly Action _notify = notify ?? throw new ArgumentNullException(nameof(notify));
    private readonly Lock _lock = new();
    private readonly byte[] _pending = new byte[MaxPending];
    private int _start;
    private int _count;
    private bool _asleep;
    private bool _disposed;
    private long _dropped;
    private Timer? _retry;

    /// <inheritdoc/>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Bytes held here, waiting for room in the device.</summary>
    public int Pending
    {
        get
        {
            lock (_lock)
            {
                return _count;
            }
        }
    }

    /// <inheritdoc/>
    public string PowerName => "virtio console input";

    /// <inheritdoc/>
    public void Send(ReadOnlySpan<byte> bytes)
    {
        lock (_lock)
        {
            int take = Math.Min(bytes.Length, MaxPending - _count);
            for (int i = 0; i < take; i++)
            {
                _pending[(_start + _count + i) % MaxPending] = bytes[i];
            }
            _count += take;
            Interlocked.Add(ref _dropped, bytes.Length - take);
        }
        Deliver();
    }

    /// <summary>Holds typed bytes here until <see cref="Wake"/>; returns once no delivery is under way.</summary>
    public void Sleep()
    {
        lock (_lock)
        {
            _asleep = true;
        }
    }

    /// <inheritdoc/>
    public void Wake()
    {
        lock (_lock)
        {
            _asleep = false;
        }
        Deliver();
    }

    /// <summary>The bytes still waiting for the guest here (the device's own buffer is the device's).</summary>
    public object Snapshot()
    {
        lock (_lock)
        {
            byte[] copy = new byte[_count];
            for (int i = 0; i < _count; i++)
            {
                copy[i] = _pending[(_start + i) % MaxPending];
            }
            return copy;
        }
    }

    /// <summary>Stops offering; held bytes are dropped.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _count = 0;
            _retry?.Dispose();
        }
    }

    // Offers what the device has room for, serves the receive queue, and retries later if bytes
    // remain. Delivery runs under the lock, so Sleep returns only after it finished and bytes go
    // to the device in order whichever thread offers them.
    private void Deliver()
    {
        lock (_lock)
        {
            if (_disposed || _asleep)
            {
                return;
            }
            int offered = 0;
            while (_count > 0)
            {
                int run = Math.Min(Math.Min(_count, MaxPending - _start), _device.InputFree);
                if (run == 0)
                {
                    break;
                }
                int accepted = _device.Offer(_pending.AsSpan(_start, run));
                _start = (_start + accepted) % MaxPending;
                _count -= accepted;
                offered += accepted;
                if (accepted < run)
                {
                    break;
                }
            }
            if (_count == 0)
            {
                _start = 0;
            }
            if (offered > 0 || _device.PendingInput > 0)
            {
                _notify();
            }
            if (_count > 0)
            {
                _retry ??= new Timer(_ => Deliver(), null, Timeout.Infinite, Timeout.Infinite);
                _retry.Change(RetryInterval, Timeout.InfiniteTimeSpan);
            }
        }
    }
}
