namespace Vireo.Sdei;

public sealed partial class SdeiDispatcher
{
    /// <summary>FEATURES feature ids (DEN0054 §5.1.18).</summary>
    private const ulong FeatureBindSlots = 0;
    private const ulong FeatureRelativeMode = 1;

    private Outcome Execute(int vcpu, in SmcccCall call, ISdeiVcpuContext context)
    {
        return (SdeiFunction)call.FunctionId switch
        {
            SdeiFunction.Version => Outcome.Value(Version),
            SdeiFunction.Features => Features(call.X1),
            SdeiFunction.EventRegister => Register(vcpu, call),
            SdeiFunction.EventEnable => SetEnabled(vcpu, call.X1, enable: true),
            SdeiFunction.EventDisable => SetEnabled(vcpu, call.X1, enable: false),
            SdeiFunction.EventContext => EventContext(vcpu, call.X1),
            SdeiFunction.EventComplete => Complete(vcpu, context, resume: false, 0),
            SdeiFunction.EventCompleteAndResume => Complete(vcpu, context, resume: true, call.X1),
            SdeiFunction.EventUnregister => Unregister(vcpu, call.X1),
            SdeiFunction.EventStatus => Status(vcpu, call.X1),
            SdeiFunction.EventGetInfo => GetInfo(vcpu, call.X1, call.X2),
            SdeiFunction.EventRoutingSet => RoutingSet(call.X1, call.X2, call.X3),
            SdeiFunction.PeMask => PeMask(vcpu),
            SdeiFunction.PeUnmask => PeUnmask(vcpu),
            SdeiFunction.InterruptBind => InterruptBind(call.X1),
            SdeiFunction.InterruptRelease => InterruptRelease(call.X1),
            SdeiFunction.EventSignal => EventSignal(call.X1, call.X2),
            SdeiFunction.PrivateReset => PrivateReset(vcpu),
            SdeiFunction.SharedReset => SharedReset(),

            // Unknown ids, and the SMC32 forms SDEI does not define, get SMCCC's NOT_SUPPORTED (-1).
            _ => Outcome.Of(SdeiReturnCode.NotSupported),
        };
    }

    private EventDef? Find(ulong number)
    {
        // Event numbers are 32-bit (DEN0054 §4.1); a number with upper bits set names no event.
        return number <= uint.MaxValue && _events.TryGetValue((uint)number, out EventDef? e) ? e : null;
    }

    private Outcome Features(ulong feature)
    {
        switch (feature)
        {
            case FeatureBindSlots:
                // [31:16] private (PPI) slots, [15:0] shared (SPI) slots.
                (int priv, int shared) = _binder?.FreeSlots ?? (0, 0);
                ulong p = (ulong)Math.Clamp(priv, 0, 0xFFFF);
                ulong s = (ulong)Math.Clamp(shared, 0, 0xFFFF);
                return Outcome.Value((p << 16) | s);
            case FeatureRelativeMode:
                return Outcome.Value(0);
            default:
                return Outcome.Of(SdeiReturnCode.InvalidParameters);
        }
    }

    /// <summary>Routing flags and affinity shared by REGISTER and ROUTING_SET (DEN0054 §5.1.2, §5.1.11).</summary>
    private bool ValidRouting(ulong flags, ulong affinity, bool checkAffinity)
    {
        if ((flags & ~FlagRoutingPe) != 0)
        {
            return false;
        }

        return (flags & FlagRoutingPe) == 0 || !checkAffinity || VcpuByAffinity(affinity) >= 0;
    }

    private static bool ValidEntryPoint(ulong address) => address != 0 && (address & 3) == 0;

    private Outcome Register(int vcpu, in SmcccCall call)
    {
        if (Find(call.X1) is not { } e)
        {
            return Outcome.Of(SdeiReturnCode.InvalidParameters);
        }

        bool shared = e.Shared is not null;
        if (!ValidEntryPoint(call.X2) || !ValidRouting(call.X4, call.X5, checkAffinity: shared))
        {
            return Outcome.Of(SdeiReturnCode.InvalidParameters);
        }

        // Registration is allowed only from the unregistered, not running state (TF-A state table, DO_REGISTER).
        EventSlot slot = SlotOf(e, vcpu);
        if (!slot.IsIdle)
        {
            return Outcome.Of(SdeiReturnCode.Denied);
        }

        slot.Registered = true;
        slot.Enabled = false;
        slot.Pending = false;
        slot.EntryPoint = call.X2;
        slot.Argument = call.X3;

        // Private events always target their own PE; routing is stored for shared events only.
        if (shared)
        {
            slot.Routing = (call.X4 & FlagRoutingPe) != 0 ? SdeiRoutingMode.Pe : SdeiRoutingMode.Any;
            slot.Affinity = slot.Routing == SdeiRoutingMode.Pe ? call.X5 & MpidrAffinityMask : 0;
        }

        return Outcome.Of(SdeiReturnCode.Success);
    }

    private Outcome SetEnabled(int vcpu, ulong number, bool enable)
    {
        if (Find(number) is not { } e)
        {
            return Outcome.Of(SdeiReturnCode.InvalidParameters);
        }

        EventSlot slot = SlotOf(e, vcpu);
        if (!slot.Registered)
        {
            return Outcome.Of(SdeiReturnCode.Denied);
        }

        slot.Enabled = enable;
        return Outcome.Of(SdeiReturnCode.Success);
    }

    private Outcome EventContext(int vcpu, ulong parameter)
    {
        if (parameter >= SavedRegisters)
        {
            return Outcome.Of(SdeiReturnCode.InvalidParameters);
        }

        List<Frame> frames = _pes[vcpu].Frames;
        return frames.Count == 0
            ? Outcome.Of(SdeiReturnCode.Denied)
            : Outcome.Value(frames[^1].X[parameter]);
    }

    /// <summary>EVENT_COMPLETE and EVENT_COMPLETE_AND_RESUME (DEN0054 §5.1.5, §5.1.6; TF-A sdei_event_complete).</summary>
    private Outcome Complete(int vcpu, ISdeiVcpuContext context, bool resume, ulong resumeAddress)
    {
        List<Frame> frames = _pes[vcpu].Frames;
        if (frames.Count == 0 || (resume && !ValidEntryPoint(resumeAddress)))
        {
            return Outcome.Of(SdeiReturnCode.Denied);
        }

        Frame frame = frames[^1];
        frames.RemoveAt(frames.Count - 1);
        EventSlot slot = SlotOf(frame.Event, vcpu);
        slot.Running = false;
        slot.HandlerVcpu = -1;

        for (int i = 0; i < SavedRegisters; i++)
        {
            context.SetX(i, frame.X[i]);
        }

        context.Pc = frame.Pc;
        context.Pstate = frame.Pstate;
        if (resume)
        {
            // As if an exception had been taken at the interrupted point and vectored to resumeAddress.
            context.ElrEl1 = frame.Pc;
            context.SpsrEl1 = frame.Pstate;
            context.Pc = resumeAddress;
            context.Pstate = HandlerPstate;
        }

        return Outcome.NoReturn;
    }

    private Outcome Unregister(int vcpu, ulong number)
    {
        if (Find(number) is not { } e)
        {
            return Outcome.Of(SdeiReturnCode.InvalidParameters);
        }

        EventSlot slot = SlotOf(e, vcpu);
        if (!slot.Registered)
        {
            // Unregistering again while the handler still runs keeps answering PENDING (TF-A).
            return Outcome.Of(slot.Running ? SdeiReturnCode.Pending : SdeiReturnCode.Denied);
        }

        slot.Unregister();
        return Outcome.Of(slot.Running ? SdeiReturnCode.Pending : SdeiReturnCode.Success);
    }

    private Outcome Status(int vcpu, ulong number)
    {
        if (Find(number) is not { } e)
        {
            return Outcome.Of(SdeiReturnCode.InvalidParameters);
        }

        EventSlot slot = SlotOf(e, vcpu);
        return Outcome.Value(StatusBits(slot));
    }

    private static ulong StatusBits(EventSlot slot) =>
        (slot.Registered ? SdeiStateRegisters.FlagRegistered : 0)
        | (slot.Enabled ? SdeiStateRegisters.FlagEnabled : 0)
        | (slot.Running ? SdeiStateRegisters.FlagRunning : 0);

    private Outcome GetInfo(int vcpu, ulong number, ulong info)
    {
        if (Find(number) is not { } e)
        {
            return Outcome.Of(SdeiReturnCode.InvalidParameters);
        }

        EventSlot slot = SlotOf(e, vcpu);
        switch ((SdeiEventInfoKind)info)
        {
            case SdeiEventInfoKind.Type:
                return Outcome.Value((ulong)e.Descriptor.Type);
            case SdeiEventInfoKind.Signaled:
                return Outcome.Value(e.Descriptor.Signalable ? 1UL : 0);
            case SdeiEventInfoKind.Priority:
                return Outcome.Value((ulong)e.Descriptor.Priority);
            case SdeiEventInfoKind.RoutingMode:
                if (e.Shared is null)
                {
                    return Outcome.Of(SdeiReturnCode.InvalidParameters);
                }

                return slot.Registered ? Outcome.Value((ulong)slot.Routing) : Outcome.Of(SdeiReturnCode.Denied);
            case SdeiEventInfoKind.RoutingAffinity:
                if (e.Shared is null)
                {
                    return Outcome.Of(SdeiReturnCode.InvalidParameters);
                }

                if (!slot.Registered)
                {
                    return Outcome.Of(SdeiReturnCode.Denied);
                }

                return slot.Routing == SdeiRoutingMode.Pe ? Outcome.Value(slot.Affinity) : Outcome.Of(SdeiReturnCode.InvalidParameters);
            default:
                return Outcome.Of(SdeiReturnCode.InvalidParameters);
        }
    }

    private Outcome RoutingSet(ulong number, ulong flags, ulong affinity)
    {
        if (Find(number) is not { } e || e.Shared is not { } slot || !ValidRouting(flags, affinity, checkAffinity: true))
        {
            return Outcome.Of(SdeiReturnCode.InvalidParameters);
        }

        // Only in the registered, disabled, not running state (DEN0054 §5.1.11; TF-A DO_ROUTING).
        if (!slot.Registered || slot.Enabled || slot.Running)
        {
            return Outcome.Of(SdeiReturnCode.Denied);
        }

        slot.Routing = (flags & FlagRoutingPe) != 0 ? SdeiRoutingMode.Pe : SdeiRoutingMode.Any;
        slot.Affinity = slot.Routing == SdeiRoutingMode.Pe ? affinity & MpidrAffinityMask : 0;
        return Outcome.Of(SdeiReturnCode.Success);
    }

    /// <summary>Returns 1 when this call masked the PE, 0 when it was already masked (TF-A sdei_pe_mask).</summary>
    private Outcome PeMask(int vcpu)
    {
        PeState pe = _pes[vcpu];
        bool changed = !pe.Masked;
        pe.Masked = true;
        return Outcome.Value(changed ? 1UL : 0);
    }

    private Outcome PeUnmask(int vcpu)
    {
        _pes[vcpu].Masked = false;
        return Outcome.Of(SdeiReturnCode.Success);
    }

    private Outcome InterruptBind(ulong intid)
    {
        if (intid > SdeiStateRegisters.MaxItem || _binder is null)
        {
            return Outcome.Of(SdeiReturnCode.InvalidParameters);
        }

        uint number = DynamicEventBase + (uint)intid;
        if (_events.ContainsKey(number))
        {
            // Binding a bound interrupt again names the same event (TF-A sdei_interrupt_bind).
            return Outcome.Value(number);
        }

        SdeiBindOutcome outcome = _binder.Bind((uint)intid);
        SdeiEventType type;
        switch (outcome)
        {
            case SdeiBindOutcome.Private:
                type = SdeiEventType.Private;
                break;
            case SdeiBindOutcome.Shared:
                type = SdeiEventType.Shared;
                break;
            case SdeiBindOutcome.Denied:
                return Outcome.Of(SdeiReturnCode.Denied);
            case SdeiBindOutcome.OutOfResource:
                return Outcome.Of(SdeiReturnCode.OutOfResource);
            default:
                return Outcome.Of(SdeiReturnCode.InvalidParameters);
        }

        AddBound((uint)intid, type);
        RebuildOrder();
        return Outcome.Value(number);
    }

    private EventDef AddBound(uint intid, SdeiEventType type)
    {
        var e = new EventDef(new SdeiEventDescriptor(DynamicEventBase + intid, type, SdeiPriority.Normal), -1, intid);
        _events.Add(e.Descriptor.Number, e);
        AddSlots(e);
        return e;
    }

    private Outcome InterruptRelease(ulong number)
    {
        if (Find(number) is not { BoundIntid: uint intid } e)
        {
            return Outcome.Of(SdeiReturnCode.InvalidParameters);
        }

        // Every instance must be unregistered and idle first (DEN0054 §5.1.14; TF-A reg_count / DO_RELEASE).
        bool idle = e.Shared is { } shared ? shared.IsIdle : _pes.All(pe => pe.Private[e.Descriptor.Number].IsIdle);
        if (!idle)
        {
            return Outcome.Of(SdeiReturnCode.Denied);
        }

        RemoveEvent(e);
        RebuildOrder();
        _binder!.Release(intid);
        return Outcome.Of(SdeiReturnCode.Success);
    }

    /// <summary>
    /// EVENT_SIGNAL (1.1): raise event 0 on the PE with MPIDR <paramref name="targetPe"/>. Succeeds even when event 0
    /// is not registered there, in which case the signal is dropped, as TF-A's SGI is.
    /// </summary>
    private Outcome EventSignal(ulong number, ulong targetPe)
    {
        if (number != 0)
        {
            return Outcome.Of(SdeiReturnCode.InvalidParameters);
        }

        int target = VcpuByAffinity(targetPe);
        if (target < 0)
        {
            return Outcome.Of(SdeiReturnCode.InvalidParameters);
        }

        MarkPending(_pes[target].Private[0]);
        return Outcome.Of(SdeiReturnCode.Success);
    }

    /// <summary>Unregister every private event of this PE; DENIED if any handler was running (TF-A sdei_private_reset).</summary>
    private Outcome PrivateReset(int vcpu)
    {
        bool running = false;
        foreach (EventSlot slot in _pes[vcpu].Private.Values)
        {
            slot.Unregister();
            running |= slot.Running;
        }

        return Outcome.Of(running ? SdeiReturnCode.Denied : SdeiReturnCode.Success);
    }

    /// <summary>
    /// Unregister every shared event, then release every binding; DENIED if a shared handler was running, or if a
    /// bound private event is still registered on some PE (TF-A sdei_shared_reset).
    /// </summary>
    private Outcome SharedReset()
    {
        bool running = false;
        foreach (EventDef e in _events.Values)
        {
            if (e.Shared is { } slot)
            {
                slot.Unregister();
                running |= slot.Running;
            }
        }

        if (running)
        {
            return Outcome.Of(SdeiReturnCode.Denied);
        }

        SdeiReturnCode result = SdeiReturnCode.Success;
        foreach (EventDef e in _events.Values.Where(e => e.BoundIntid is not null).ToArray())
        {
            Outcome released = InterruptRelease(e.Descriptor.Number);
            if ((SdeiReturnCode)(long)released.X0 != SdeiReturnCode.Success && result == SdeiReturnCode.Success)
            {
                result = (SdeiReturnCode)(long)released.X0;
            }
        }

        return Outcome.Of(result);
    }
}
