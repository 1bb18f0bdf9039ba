using Vireo.Sys;

namespace Vireo.VfioUser;

public sealed partial class VfioUserServer
{
    private const uint StandardIrqCount = 5;
    private const uint ExtendedIrqCount = 6;

    private readonly IrqState _irqState;

    private uint IrqCount => _irqState.AcpiNegotiated ? ExtendedIrqCount : StandardIrqCount;

    /// <summary>Whether the current client (or, once it has gone, the last one) negotiated the
    /// Vireo ACPI notify extension (IRQ index 5); false until a client has.</summary>
    public bool AcpiNotifyNegotiated
    {
        get
        {
            lock (_lock)
            {
                return _irqState.AcpiNegotiated;
            }
        }
    }

    /// <inheritdoc/>
    public bool TriggerIrq(VfioIrqIndex index, int subIndex)
    {
        lock (_lock)
        {
            return _irqState.Raise(index, subIndex);
        }
    }

    /// <inheritdoc/>
    public void IntxChanged()
    {
        lock (_lock)
        {
            _irqState.IntxChanged();
        }
    }

    /// <inheritdoc/>
    public bool IsIrqPending(VfioIrqIndex index, int subIndex)
    {
        lock (_lock)
        {
            return _irqState.IsPending(index, subIndex);
        }
    }

    /// <inheritdoc/>
    public void DeliverPendingIrqs()
    {
        lock (_lock)
        {
            _irqState.DeliverPending();
        }
    }

    /// <inheritdoc/>
    public void NotifyAcpi(byte code)
    {
        lock (_lock)
        {
            _irqState.NotifyAcpi(code);
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

    private int VectorCount(VfioIrqIndex index) => _irqState.VectorCount(index);

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
        if (_irqState.IntxUnmaskFd is EventFd unmask)
        {
            watched.Add((unmask, () => _irqState.UnmaskFromEventFd(unmask)));
        }
    }

    private void ForgetWatched(EventFd fd)
    {
        _irqState.ForgetUnmask(fd);
        ForgetIoEventFd(fd);
    }

    private static bool IsSingleBit(uint value) => value != 0 && (value & (value - 1)) == 0;

    private IrqVectors Vectors(VfioIrqIndex index) => _irqState.Vectors(index);

    private bool Trigger(VfioIrqIndex index, int vector) => _irqState.Trigger(index, vector);

    private void DeliverPendingInterrupts() => _irqState.DeliverPending();

    private void DeliverAcpi() => _irqState.DeliverAcpi();

    private void DropIrqFds() => _irqState.Clear();
}
