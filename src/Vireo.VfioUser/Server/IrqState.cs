using Vireo.Sys;

namespace Vireo.VfioUser;

/// <summary>
/// The device's interrupts as the client wired them: per IRQ index the eventfds, masks and
/// pending bits (<see cref="IrqVectors"/>), INTx automasking, and the ordered queue of ACPI
/// notify codes. Vector counts and the device's own masks come from the backend.
/// </summary>
internal sealed class IrqState
{
    private readonly IVfioUserBackend _backend;
    private readonly Lock _serverLock;
    private readonly Dictionary<VfioIrqIndex, IrqVectors> _irqs = [];
    private readonly Queue<ulong> _acpiQueue;
    private readonly int _acpiCapacity;
    private int _acpiDropped;
    private Timer? _acpiRetry;
    // How long until the next look at a value the client has not read: 1 ms, doubled (up to
    // MaxAcpiRetryMs) each time it still has not, back to 1 ms once it has.
    private int _acpiRetryMs = 1;
    private const int MaxAcpiRetryMs = 16;

    /// <param name="backend">The device: its vector counts and its own masks.</param>
    /// <param name="serverLock">The lock the server holds around every call; the ACPI retry
    /// timer takes it too.</param>
    /// <param name="acpiCapacity">ACPI notify codes held for the client; raised to 2 when smaller.</param>
    public IrqState(IVfioUserBackend backend, Lock serverLock, int acpiCapacity)
    {
        _backend = backend;
        _serverLock = serverLock;
        _acpiCapacity = Math.Max(acpiCapacity, 2);
        _acpiQueue = new Queue<ulong>(_acpiCapacity);
    }

    /// <summary>The client and server agreed on the ACPI notify index.</summary>
    public bool AcpiNegotiated { get; set; }

    public int VectorCount(VfioIrqIndex index) => index switch
    {
        VfioIrqIndex.Intx => Math.Min(_backend.IrqCount(index), 1),
        VfioIrqIndex.Msi or VfioIrqIndex.Msix => _backend.IrqCount(index),
        VfioIrqIndex.Err or VfioIrqIndex.Req => 1,
        VfioIrqIndex.AcpiNotify => AcpiNegotiated ? 1 : 0,
        _ => 0,
    };

    public IrqVectors Vectors(VfioIrqIndex index)
    {
        if (!_irqs.TryGetValue(index, out IrqVectors? vectors))
        {
            vectors = new IrqVectors(Math.Max(VectorCount(index), 1));
            _irqs[index] = vectors;
        }
        return vectors;
    }

    /// <summary>A raise by the device. INTx is automasked (linux/vfio.h VFIO_IRQ_INFO_AUTOMASKED,
    /// seed 004): the first raise signals the trigger eventfd and masks the line, so a guest that
    /// does not service it cannot make the device interrupt it over and over; later raises stay
    /// pending, once, until the client unmasks (SET_IRQS ACTION_UNMASK, or its unmask eventfd,
    /// which KVM's resample irqfd writes at the guest's EOI).</summary>
    public bool Raise(VfioIrqIndex index, int vector)
    {
        if (index != VfioIrqIndex.Intx)
        {
            return Trigger(index, vector);
        }
        if (vector != 0 || VectorCount(index) == 0)
        {
            return false;
        }
        IrqVectors intx = Vectors(index);
        if (intx.IsMasked(0) || _backend.IsIrqMasked(index, 0))
        {
            intx.SetPending(0, true);
            return false;
        }
        if (!intx.Signal(0))
        {
            return false;
        }
        intx.SetMasked(0, true);
        return true;
    }

    /// <summary>The backend's INTx level may have changed. While the line is asserted, each
    /// unmask by the client (message or unmask eventfd) signals exactly once and masks the line
    /// again, so a line held high costs one signal per guest EOI and nothing in between (seed
    /// 004). The level is read here, under the server lock, never passed in: a device thread's
    /// "asserted" cannot then land after the acknowledgement that deasserted it.</summary>
    public void IntxChanged()
    {
        if (VectorCount(VfioIrqIndex.Intx) != 0)
        {
            DeliverPending();
        }
    }

    /// <summary>Signals the vector, or leaves it pending while it is masked.</summary>
    public bool Trigger(VfioIrqIndex index, int vector)
    {
        if (vector < 0 || vector >= VectorCount(index))
        {
            return false;
        }
        IrqVectors vectors = Vectors(index);
        bool blocked = vectors.IsMasked(vector) || _backend.IsIrqMasked(index, vector);
        if (blocked)
        {
            vectors.SetPending(vector, true);
            return false;
        }
        return vectors.Signal(vector);
    }

    public bool IsPending(VfioIrqIndex index, int vector) => _irqs.TryGetValue(index, out IrqVectors? v) && v.IsPending(vector);

    /// <summary>Fires vectors left pending by a mask that has since been lifted.</summary>
    public void DeliverPending()
    {
        foreach ((VfioIrqIndex index, IrqVectors vectors) in _irqs)
        {
            if (index == VfioIrqIndex.Intx)
            {
                DeliverIntx(vectors);
                continue;
            }
            for (int v = 0; v < vectors.Length; v++)
            {
                if (vectors.IsPending(v) && !vectors.IsMasked(v) && !_backend.IsIrqMasked(index, v) && vectors.Signal(v))
                {
                    vectors.SetPending(v, false);
                }
            }
        }
    }

    /// <summary>INTx fires when a raise waits or the line is held asserted, it is unmasked, and
    /// the client gave an eventfd; firing masks it again (automasking).</summary>
    private void DeliverIntx(IrqVectors intx)
    {
        bool due = intx.IsPending(0) || _backend.IntxAsserted;
        if (due && !intx.IsMasked(0) && !_backend.IsIrqMasked(VfioIrqIndex.Intx, 0) && intx.Fd(0) is not null && intx.Signal(0))
        {
            intx.SetPending(0, false);
            intx.SetMasked(0, true);
        }
    }

    /// <summary>The INTx unmask eventfd the client gave, if any.</summary>
    public EventFd? IntxUnmaskFd => _irqs.TryGetValue(VfioIrqIndex.Intx, out IrqVectors? intx) ? intx.UnmaskFd(0) : null;

    /// <summary>The unmask eventfd fired (the guest's EOI): unmask INTx and deliver what waits.</summary>
    public void UnmaskFromEventFd(EventFd fd)
    {
        if (_irqs.TryGetValue(VfioIrqIndex.Intx, out IrqVectors? intx) && ReferenceEquals(intx.UnmaskFd(0), fd))
        {
            intx.SetMasked(0, false);
            DeliverPending();
        }
    }

    public void ForgetUnmask(EventFd fd)
    {
        if (_irqs.TryGetValue(VfioIrqIndex.Intx, out IrqVectors? intx) && ReferenceEquals(intx.UnmaskFd(0), fd))
        {
            intx.AssignUnmask(0, null);
        }
    }

    /// <summary>DEVICE_RESET: masks and pending bits cleared, eventfds kept.</summary>
    public void ResetMasks()
    {
        foreach (IrqVectors vectors in _irqs.Values)
        {
            vectors.ResetMasks();
        }
    }

    /// <summary>The client left: its eventfds go, and with them the masks.</summary>
    public void Clear()
    {
        foreach (IrqVectors vectors in _irqs.Values)
        {
            vectors.Clear();
        }
        _irqs.Clear();
    }

    /// <summary>Queues an ACPI notify code; when the queue is full, codes are dropped and counted,
    /// and an overflow marker takes the place of the loss.</summary>
    public void NotifyAcpi(byte code)
    {
        if (_acpiDropped > 0)
        {
            // The marker goes where the loss happened, so it needs a slot of its own.
            if (_acpiQueue.Count + 2 > _acpiCapacity)
            {
                _acpiDropped++;
                return;
            }
            _acpiQueue.Enqueue(AcpiNotification.EncodeOverflow(_acpiDropped));
            _acpiDropped = 0;
        }
        if (_acpiQueue.Count >= _acpiCapacity)
        {
            _acpiDropped = 1;
            return;
        }
        _acpiQueue.Enqueue(AcpiNotification.EncodeCode(code));
        DeliverAcpi();
    }

    /// <summary>Puts the next queued ACPI value into the eventfd once the client has read the
    /// previous one (the server is the only writer, so a zero counter means "consumed").</summary>
    public void DeliverAcpi()
    {
        if (_acpiQueue.Count == 0 || !_irqs.TryGetValue(VfioIrqIndex.AcpiNotify, out IrqVectors? vectors) || vectors.Fd(0) is not EventFd fd)
        {
            return;
        }
        if (Poller.WaitReadable(fd.Handle, TimeSpan.Zero))
        {
            // The client has not read the last value yet: look again shortly, and less often
            // the longer it holds (a client whose guest does not read its mailbox leaves the
            // channel unread for as long as that lasts).
            RetryAcpiSoon();
            _acpiRetryMs = Math.Min(_acpiRetryMs * 2, MaxAcpiRetryMs);
            return;
        }
        _acpiRetryMs = 1;
        fd.Signal(_acpiQueue.Dequeue());
        if (_acpiQueue.Count > 0)
        {
            RetryAcpiSoon();
        }
    }

    private void RetryAcpiSoon()
    {
        _acpiRetry ??= new Timer(_ =>
        {
            lock (_serverLock)
            {
                DeliverAcpi();
            }
        });
        _acpiRetry.Change(TimeSpan.FromMilliseconds(_acpiRetryMs), Timeout.InfiniteTimeSpan);
    }
}
