using Vireo.Devices;
using Vireo.Kvm;
using Vireo.Memory;

namespace Vireo.Vmm;

/// <summary>
/// Guest writes KVM queued in the coalesced ring instead of exiting, replayed onto the buses.
/// Every vCPU drains before it handles an exit, so a device sees the queued writes before any
/// access that comes after them in guest order, and a guest can only observe a queued write
/// through a later exit; a timer drains too, so a guest that writes and then never exits
/// still has its writes delivered within <see cref="FlushInterval"/>. Linux never needs the
/// timer (its 8250 driver reads LSR, IIR or writes IER after every transmit-register write), so
/// it is slow, and it stops while the vCPUs are parked or paused: a suspended guest costs no
/// host CPU, timer wakeups included.
/// </summary>
internal sealed class CoalescedWrites : IKvmCoalescedWriteSink, IDisposable
{
    /// <summary>The most a queued write waits when the guest makes no exit after it.</summary>
    public static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(50);

    private readonly KvmCoalescedRing _ring;
    private readonly Bus<PioAddress> _pio;
    private readonly Bus<MmioAddress> _mmio;
    private readonly Lock _lock = new();
    private readonly Timer _timer;
    private long _replayed;

    public CoalescedWrites(KvmCoalescedRing ring, Bus<PioAddress> pio, Bus<MmioAddress> mmio)
    {
        _ring = ring;
        _pio = pio;
        _mmio = mmio;
        _timer = new Timer(_ => Drain(), null, Timeout.Infinite, Timeout.Infinite);
    }

    /// <summary>Writes replayed so far (each one a guest exit saved).</summary>
    public long Replayed => Interlocked.Read(ref _replayed);

    /// <summary>Replays what is queued; cheap when nothing is (two reads of the shared page).</summary>
    public void Drain()
    {
        if (_ring.IsEmpty)
        {
            return;
        }
        lock (_lock)
        {
            Interlocked.Add(ref _replayed, _ring.Drain(this));
        }
    }

    public void StartTimer() => _timer.Change(FlushInterval, FlushInterval);

    public void StopTimer() => _timer.Change(Timeout.Infinite, Timeout.Infinite);

    void IKvmCoalescedWriteSink.Write(bool pio, ulong address, ReadOnlySpan<byte> data)
    {
        if (pio)
        {
            _pio.Write(new PioAddress((ushort)address), data);
        }
        else
        {
            _mmio.Write(new MmioAddress(address), data);
        }
    }

    public void Dispose()
    {
        // The ring page is unmapped below: wait for a timer drain that is under way to finish.
        using (var callbacksDone = new ManualResetEvent(false))
        {
            if (_timer.Dispose(callbacksDone))
            {
                callbacksDone.WaitOne();
            }
        }
        _ring.Dispose();
    }
}
