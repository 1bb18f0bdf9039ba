using Vireo.Devices;

namespace Vireo.Vmm;

/// <summary>
/// Feeds host keystrokes into the guest UART at the pace the guest takes them. Bytes wait on
/// the host side until the guest has a reader (it enabled the receive interrupt, which Linux
/// does when the console tty is opened) and the UART's FIFO has room, so typed-ahead input is
/// neither dropped by the FIFO nor wiped by the driver's FIFO reset during boot.
/// </summary>
public sealed class ConsoleInputPump : IConsoleInput, IDisposable, ISuspendable
{
    private const byte IerReceivedDataAvailable = 0x01; // 16550 IER bit 0
    private const int MaxPending = 1 << 20;
    private static readonly TimeSpan s_retry = TimeSpan.FromMilliseconds(2);

    private readonly Serial8250 _uart;
    private readonly Queue<byte> _pending = new();
    private readonly Thread _thread;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly Lock _delivery = new(); // held while bytes go into the UART; Sleep waits for it
    private bool _asleep;

    /// <summary>Starts the pump's thread, feeding <paramref name="uart"/>.</summary>
    public ConsoleInputPump(Serial8250 uart)
    {
        _uart = uart;
        _thread = new Thread(Run) { Name = "console-input", IsBackground = true };
        _thread.Start();
    }

    /// <inheritdoc/>
    public long Dropped { get; private set; }

    /// <inheritdoc/>
    /// <remarks>The queue holds 1 MiB.</remarks>
    public void Send(ReadOnlySpan<byte> bytes)
    {
        lock (_pending)
        {
            foreach (byte b in bytes)
            {
                if (_pending.Count >= MaxPending)
                {
                    Dropped++;
                    continue;
                }
                _pending.Enqueue(b);
            }
        }
        _wake.Release();
    }

    /// <inheritdoc/>
    public string PowerName => "console input";

    /// <summary>Holds typed bytes on the host side until <see cref="Wake"/>; returns once no
    /// delivery into the UART is under way.</summary>
    public void Sleep()
    {
        lock (_delivery)
        {
            _asleep = true;
        }
    }

    /// <inheritdoc/>
    public void Wake()
    {
        lock (_delivery)
        {
            _asleep = false;
        }
        _wake.Release();
    }

    /// <summary>The bytes still waiting for the guest.</summary>
    public object Snapshot()
    {
        lock (_pending)
        {
            return _pending.ToArray();
        }
    }

    /// <summary>Stops the pump's thread; queued bytes are dropped.</summary>
    public void Dispose()
    {
        _stop.Cancel();
        _wake.Release();
        _thread.Join();
        _stop.Dispose();
        _wake.Dispose();
    }

    private void Run()
    {
        VmmConfinement.EnterThread(VmmThreadKind.Device);
        Span<byte> chunk = stackalloc byte[64];
        while (!_stop.IsCancellationRequested)
        {
            int count;
            lock (_pending)
            {
                count = Math.Min(_pending.Count, chunk.Length);
                int i = 0;
                foreach (byte b in _pending)
                {
                    if (i == count)
                    {
                        break;
                    }
                    chunk[i++] = b;
                }
            }
            if (count == 0)
            {
                _wake.Wait(_stop.Token.IsCancellationRequested ? TimeSpan.Zero : Timeout.InfiniteTimeSpan);
                continue;
            }
            int taken;
            bool asleep;
            lock (_delivery)
            {
                asleep = _asleep;
                taken = !asleep && (_uart.GetState().InterruptEnable & IerReceivedDataAvailable) != 0 ? _uart.Fill(chunk[..count]) : 0;
            }
            if (asleep)
            {
                _wake.Wait(_stop.Token.IsCancellationRequested ? TimeSpan.Zero : Timeout.InfiniteTimeSpan);
                continue;
            }
            lock (_pending)
            {
                for (int i = 0; i < taken; i++)
                {
                    _pending.Dequeue();
                }
            }
            if (taken < count)
            {
                _wake.Wait(s_retry);
            }
        }
    }
}
