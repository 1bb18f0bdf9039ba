using Vireo.Pci;
using Vireo.Sys;

namespace Vireo.VfioUser;

public sealed partial class VfioUserServer
{
    private const uint StandardIrqCount = 5;
    private const uint ExtendedIrqCount = 6;

    private readonly Dictionary<VfioIrqIndex, IrqVectors> _irqs = [];
    private readonly Queue<ulong> _acpiQueue;
    private int _acpiDropped;
    private Timer? _acpiRetry;

    private uint IrqCount => _acpiNegotiated ? ExtendedIrqCount : StandardIrqCount;

    public bool Interrupt(int vector)
    {
        lock (_lock)
        {
            PciConfigSpace config = _device.Config;
            if (config.MsixEnabled)
            {
                return Trigger(VfioIrqIndex.Msix, vector);
            }
            if (config.MsiEnabled)
            {
                return Trigger(VfioIrqIndex.Msi, vector);
            }
            return !config.IntxDisabled && Raise(VfioIrqIndex.Intx, 0);
        }
    }

    public bool TriggerIrq(VfioIrqIndex index, int subIndex)
    {
        lock (_lock)
        {
            return Raise(index, subIndex);
        }
    }

    /// <summary>A raise by the device. INTx is automasked (linux/vfio.h VFIO_IRQ_INFO_AUTOMASKED,
    /// seed 004): the first raise signals the trigger eventfd and masks the line, so a guest that
    /// does not service it cannot make the device interrupt it over and over; later raises stay
    /// pending, once, until the client unmasks (SET_IRQS ACTION_UNMASK, or its unmask eventfd,
    /// which KVM's resample irqfd writes at the guest's EOI).</summary>
    private bool Raise(VfioIrqIndex index, int vector)
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
        if (intx.IsMasked(0))
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

    public void NotifyAcpi(byte code)
    {
        lock (_lock)
        {
            int capacity = Math.Max(_options.AcpiQueueCapacity, 2);
            if (_acpiDropped > 0)
            {
                // The marker goes where the loss happened, so it needs a slot of its own.
                if (_acpiQueue.Count + 2 > capacity)
                {
                    _acpiDropped++;
                    return;
                }
                _acpiQueue.Enqueue(AcpiNotification.EncodeOverflow(_acpiDropped));
                _acpiDropped = 0;
            }
            if (_acpiQueue.Count >= capacity)
            {
                _acpiDropped = 1;
                return;
            }
            _acpiQueue.Enqueue(AcpiNotification.EncodeCode(code));
            DeliverAcpi();
        }
    }

    private IVfioUserPayload HandleIrqInfo(ReadOnlySpan<byte> payload)
    {
        IrqInfo request = IrqInfo.Decode(payload);
        if (request.Argsz < IrqInfo.Length || request.Index >= IrqCount)
        {
            throw new VfioUserException(Errno.EINVAL, $"GET_IRQ_INFO index {request.Index} argsz {request.Argsz}");
        }
        var index = (VfioIrqIndex)request.Index;
        IrqInfoFlags flags = IrqInfoFlags.EventFd;
        if (index is VfioIrqIndex.Intx or VfioIrqIndex.Msi or VfioIrqIndex.Msix)
        {
            flags |= IrqInfoFlags.Maskable;
        }
        if (index == VfioIrqIndex.Intx)
        {
            // As kernel vfio-pci reports INTx: EVENTFD | MASKABLE | AUTOMASKED.
            flags |= IrqInfoFlags.AutoMasked;
        }
        if (index is VfioIrqIndex.Msi or VfioIrqIndex.Msix)
        {
            flags |= IrqInfoFlags.NoResize;
        }
        return new IrqInfo(IrqInfo.Length, flags, request.Index, (uint)VectorCount(index));
    }

    private int VectorCount(VfioIrqIndex index) => index switch
    {
        VfioIrqIndex.Intx => _device.Config.ReadU16(PciConfigSpace.InterruptPinOffset) & 0xff,
        VfioIrqIndex.Msi => _device.Config.MsiVectors,
        VfioIrqIndex.Msix => _device.Config.MsixVectors,
        VfioIrqIndex.Err or VfioIrqIndex.Req => 1,
        VfioIrqIndex.AcpiNotify => _acpiNegotiated ? 1 : 0,
        _ => 0,
    } switch
    {
        > 1 when index == VfioIrqIndex.Intx => 1,
        var n => n,
    };

    private IVfioUserPayload HandleSetIrqs(ReceivedMessage message)
    {
        IrqSet request = IrqSet.Decode(message.Payload);
        if (request.Index >= IrqCount)
        {
            throw new VfioUserException(Errno.EINVAL, $"SET_IRQS index {request.Index}");
        }
        var index = (VfioIrqIndex)request.Index;
        IrqSetFlags data = request.Flags & IrqSetFlags.DataTypeMask;
        IrqSetFlags action = request.Flags & IrqSetFlags.ActionTypeMask;
        if (!IsSingleBit((uint)data) || !IsSingleBit((uint)action) || (request.Flags & ~(IrqSetFlags.DataTypeMask | IrqSetFlags.ActionTypeMask)) != 0)
        {
            throw new VfioUserException(Errno.EINVAL, $"SET_IRQS flags {(uint)request.Flags:x}");
        }
        int vectors = VectorCount(index);
        if (request.Count == 0)
        {
            // linux/vfio.h: count 0 with DATA_NONE|ACTION_TRIGGER disables the whole index.
            if (data != IrqSetFlags.DataNone || action != IrqSetFlags.ActionTrigger || request.Start != 0 || message.FdCount != 0)
            {
                throw new VfioUserException(Errno.EINVAL, "SET_IRQS with count 0 must be DATA_NONE|ACTION_TRIGGER at start 0");
            }
            Vectors(index).Clear();
            return default(EmptyPayload);
        }
        if ((ulong)request.Start + request.Count > (ulong)vectors)
        {
            throw new VfioUserException(Errno.EINVAL, $"SET_IRQS vectors {request.Start}+{request.Count} of {vectors}");
        }
        if (index is VfioIrqIndex.Err or VfioIrqIndex.Req or VfioIrqIndex.AcpiNotify && action != IrqSetFlags.ActionTrigger)
        {
            // libvfio-user: ERR and REQ take only ACTION_TRIGGER (count <= 1, checked above).
            throw new VfioUserException(Errno.EINVAL, $"SET_IRQS index {index} takes ACTION_TRIGGER only");
        }
        int start = (int)request.Start;
        int count = (int)request.Count;
        if (data == IrqSetFlags.DataEventFd)
        {
            if (message.FdCount != 0 && message.FdCount != count)
            {
                throw new VfioUserException(Errno.EINVAL, $"SET_IRQS DATA_EVENTFD count {count} with {message.FdCount} fds");
            }
            if (action == IrqSetFlags.ActionUnmask)
            {
                SetUnmaskEventFd(index, message);
                return default(EmptyPayload);
            }
            if (action != IrqSetFlags.ActionTrigger)
            {
                // As kernel vfio-pci: a mask eventfd is not implemented for any index.
                throw new VfioUserException(Errno.EINVAL, "SET_IRQS DATA_EVENTFD|ACTION_MASK is not supported");
            }
            IrqVectors target = Vectors(index);
            for (int i = 0; i < count; i++)
            {
                target.Assign(start + i, message.FdCount == 0 ? null : EventFd.FromHandle(message.TakeFd(i)));
            }
            if (index == VfioIrqIndex.AcpiNotify)
            {
                DeliverAcpi();
            }
            else
            {
                DeliverPendingInterrupts();
            }
            return default(EmptyPayload);
        }
        if (message.FdCount != 0)
        {
            throw new VfioUserException(Errno.EINVAL, "SET_IRQS carries fds without DATA_EVENTFD");
        }
        if (data == IrqSetFlags.DataBool && request.Data.Length < count)
        {
            throw new VfioUserException(Errno.EINVAL, $"SET_IRQS DATA_BOOL needs {count} bytes");
        }
        if (index == VfioIrqIndex.AcpiNotify)
        {
            throw new VfioUserException(Errno.EINVAL, "the ACPI notify index cannot be triggered by the client");
        }
        IrqVectors vectorsOf = Vectors(index);
        for (int i = 0; i < count; i++)
        {
            if (data == IrqSetFlags.DataBool && request.Data.Span[i] == 0)
            {
                continue;
            }
            switch (action)
            {
                case IrqSetFlags.ActionTrigger:
                    // Kernel vfio-pci's loopback trigger: it signals without automasking INTx.
                    Trigger(index, start + i);
                    break;
                case IrqSetFlags.ActionMask:
                    vectorsOf.SetMasked(start + i, true);
                    break;
                default:
                    vectorsOf.SetMasked(start + i, false);
                    break;
            }
        }
        DeliverPendingInterrupts();
        return default(EmptyPayload);
    }

    /// <summary>DATA_EVENTFD|ACTION_UNMASK: INTx only, one vector; no fd de-assigns.</summary>
    private void SetUnmaskEventFd(VfioIrqIndex index, ReceivedMessage message)
    {
        IrqSet request = IrqSet.Decode(message.Payload);
        if (index != VfioIrqIndex.Intx || request.Start != 0 || request.Count != 1)
        {
            throw new VfioUserException(Errno.EINVAL, $"an unmask eventfd is only for INTx vector 0 (index {index}, {request.Start}+{request.Count})");
        }
        EventFd? unmask = null;
        if (message.FdCount == 1)
        {
            SafeFd fd = message.TakeFd(0);
            try
            {
                // The server reads it after poll; should the client read it first, a blocking
                // read would stall the serving thread. The client only ever signals it.
                FileDescriptor.SetNonBlocking(fd);
            }
            catch (ErrnoException e)
            {
                fd.Dispose();
                throw new VfioUserException(Errno.EINVAL, $"unmask fd: {e.Message}");
            }
            unmask = EventFd.FromHandle(fd);
        }
        Vectors(index).AssignUnmask(0, unmask);
    }

    private void AddWatchedIrqFds(List<(EventFd, Action)> watched)
    {
        if (_irqs.TryGetValue(VfioIrqIndex.Intx, out IrqVectors? intx) && intx.UnmaskFd(0) is EventFd unmask)
        {
            watched.Add((unmask, () => UnmaskFromEventFd(unmask)));
        }
    }

    private void UnmaskFromEventFd(EventFd fd)
    {
        if (_irqs.TryGetValue(VfioIrqIndex.Intx, out IrqVectors? intx) && ReferenceEquals(intx.UnmaskFd(0), fd))
        {
            intx.SetMasked(0, false);
            DeliverPendingInterrupts();
        }
    }

    private void ForgetWatched(EventFd fd)
    {
        if (_irqs.TryGetValue(VfioIrqIndex.Intx, out IrqVectors? intx) && ReferenceEquals(intx.UnmaskFd(0), fd))
        {
            intx.AssignUnmask(0, null);
        }
        ForgetIoEventFd(fd);
    }

    private static bool IsSingleBit(uint value) => value != 0 && (value & (value - 1)) == 0;

    private IrqVectors Vectors(VfioIrqIndex index)
    {
        if (!_irqs.TryGetValue(index, out IrqVectors? vectors))
        {
            vectors = new IrqVectors(Math.Max(VectorCount(index), 1));
            _irqs[index] = vectors;
        }
        return vectors;
    }

    private bool Trigger(VfioIrqIndex index, int vector)
    {
        if (vector < 0 || vector >= VectorCount(index))
        {
            return false;
        }
        IrqVectors vectors = Vectors(index);
        bool blocked = vectors.IsMasked(vector) || (index == VfioIrqIndex.Msix && MsixFunctionMasked);
        if (blocked)
        {
            vectors.SetPending(vector, true);
            return false;
        }
        return vectors.Signal(vector);
    }

    private bool IsPending(VfioIrqIndex index, int vector) => _irqs.TryGetValue(index, out IrqVectors? v) && v.IsPending(vector);

    /// <summary>Fires vectors left pending by a mask that has since been lifted.</summary>
    private void DeliverPendingInterrupts()
    {
        foreach ((VfioIrqIndex index, IrqVectors vectors) in _irqs)
        {
            for (int v = 0; v < vectors.Length; v++)
            {
                if (vectors.IsPending(v) && !vectors.IsMasked(v) && !(index == VfioIrqIndex.Msix && MsixFunctionMasked) && vectors.Signal(v))
                {
                    vectors.SetPending(v, false);
                    if (index == VfioIrqIndex.Intx)
                    {
                        // The pending raise is delivered now, so it masks the line like any raise.
                        vectors.SetMasked(v, true);
                    }
                }
            }
        }
    }

    private void ResetInterruptState()
    {
        foreach (IrqVectors vectors in _irqs.Values)
        {
            vectors.ResetMasks();
        }
        ResetMsixTable();
    }

    private void DropIrqFds()
    {
        foreach (IrqVectors vectors in _irqs.Values)
        {
            vectors.Clear();
        }
        _irqs.Clear();
    }

    /// <summary>Puts the next queued ACPI value into the eventfd once the client has read the
    /// previous one (the server is the only writer, so a zero counter means "consumed").</summary>
    private void DeliverAcpi()
    {
        if (_acpiQueue.Count == 0 || !_irqs.TryGetValue(VfioIrqIndex.AcpiNotify, out IrqVectors? vectors) || vectors.Fd(0) is not EventFd fd)
        {
            return;
        }
        if (Poller.WaitReadable(fd.Handle, TimeSpan.Zero))
        {
            // The client has not read the last value yet: look again shortly.
            _acpiRetry ??= new Timer(_ => { lock (_lock) { DeliverAcpi(); } });
            _acpiRetry.Change(TimeSpan.FromMilliseconds(1), Timeout.InfiniteTimeSpan);
            return;
        }
        fd.Signal(_acpiQueue.Dequeue());
        if (_acpiQueue.Count > 0)
        {
            _acpiRetry ??= new Timer(_ => { lock (_lock) { DeliverAcpi(); } });
            _acpiRetry.Change(TimeSpan.FromMilliseconds(1), Timeout.InfiniteTimeSpan);
        }
    }
}
