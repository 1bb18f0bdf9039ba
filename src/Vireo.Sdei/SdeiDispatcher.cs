namespace Vireo.Sdei;

/// <summary>
/// The SDEI 1.1 dispatcher (Arm DEN0054) as a pure model: SMCCC calls in through <see cref="Call"/>, results and
/// handler entry written to an <see cref="ISdeiVcpuContext"/>, delivery requests out through
/// <see cref="ISdeiHost"/>. It knows nothing of KVM or threads; one lock serialises every entry point.
/// </summary>
/// <remarks>
/// vCPUs are identified by index; each has the MPIDR affinity given at construction, which is what the guest
/// passes as a target (RM_PE affinity, EVENT_SIGNAL target_pe). No call from the guest throws: every bad argument
/// or state is one of the spec's error codes. The host API throws only for the host's own programming errors.
/// </remarks>
public sealed partial class SdeiDispatcher
{
    /// <summary>Bound interrupts become event DynamicEventBase + INTID (24-bit INTID, GICv3), outside the static table.</summary>
    public const uint DynamicEventBase = 0x4000_0000;

    /// <summary>SDEI 1.1, vendor 0: major in [62:48], minor in [47:32], vendor in [31:0] (DEN0054 §5.1.1).</summary>
    public const ulong Version = (1UL << 48) | (1UL << 32);

    /// <summary>MPIDR_EL1 affinity fields Aff3 [39:32] and Aff2..Aff0 [23:0] (Arm ARM D23.2 MPIDR_EL1).</summary>
    public const ulong MpidrAffinityMask = 0xFF_00FF_FFFF;

    /// <summary>EVENT_REGISTER / ROUTING_SET flags: bit 0 routing mode, bit 1 relative mode (1.1, not offered).</summary>
    private const ulong FlagRoutingPe = 1;

    /// <summary>Saved general purpose registers x0–x17 (DEN0054 §6.2.1, "the dispatcher saves x0–x17").</summary>
    internal const int SavedRegisters = 18;

    /// <summary>Handler entry and COMPLETE_AND_RESUME PSTATE: AArch64 EL1h (M = 0b0101) with D, A, I, F masked.</summary>
    internal const ulong HandlerPstate = 0x3C5;

    private const ulong PstatePan = 1UL << 22;
    private const ulong PstateDit = 1UL << 24;
    private const ulong PstateSsbs = 1UL << 12;
    private const ulong SctlrSpan = 1UL << 23;
    private const ulong SctlrDssbs = 1UL << 44;

    private readonly object _lock = new();
    private readonly ISdeiHost _host;
    private readonly ISdeiInterruptBinder? _binder;
    private readonly SdeiEventDescriptor[] _table;
    private readonly ulong[] _mpidrs;
    private readonly Dictionary<uint, EventDef> _events = new();
    private readonly PeState[] _pes;

    /// <summary>Events in delivery order: critical first, then by number, so the choice is deterministic.</summary>
    private EventDef[] _order = [];

    /// <param name="hostEvents">The static table besides event 0 (which is always present, DEN0054 §4.1.1).</param>
    /// <param name="vcpuMpidrs">MPIDR_EL1 of each vCPU, by vCPU index; the count is the number of PEs.</param>
    /// <param name="host">Receives delivery requests.</param>
    /// <param name="binder">The interrupts a guest may bind; null when there are none.</param>
    public SdeiDispatcher(IReadOnlyList<SdeiEventDescriptor> hostEvents, IReadOnlyList<ulong> vcpuMpidrs, ISdeiHost host, ISdeiInterruptBinder? binder = null)
    {
        ArgumentNullException.ThrowIfNull(hostEvents);
        ArgumentNullException.ThrowIfNull(vcpuMpidrs);
        ArgumentNullException.ThrowIfNull(host);
        if (vcpuMpidrs.Count == 0)
        {
            throw new ArgumentException("at least one vCPU is needed", nameof(vcpuMpidrs));
        }

        _host = host;
        _binder = binder;
        _mpidrs = new ulong[vcpuMpidrs.Count];
        for (int i = 0; i < _mpidrs.Length; i++)
        {
            ulong affinity = vcpuMpidrs[i] & MpidrAffinityMask;
            if (Array.IndexOf(_mpidrs, affinity, 0, i) >= 0)
            {
                throw new ArgumentException($"two vCPUs have MPIDR affinity 0x{affinity:x}", nameof(vcpuMpidrs));
            }

            _mpidrs[i] = affinity;
        }

        var table = new List<SdeiEventDescriptor> { SdeiEventDescriptor.SoftwareSignaled };
        foreach (SdeiEventDescriptor d in hostEvents)
        {
            if (d.Number == 0)
            {
                if (d != SdeiEventDescriptor.SoftwareSignaled)
                {
                    throw new ArgumentException("event 0 must be private, normal and signalable (DEN0054 §4.1.1)", nameof(hostEvents));
                }

                continue;
            }

            if (d.Signalable)
            {
                throw new ArgumentException($"event {d.Number}: only event 0 can be signalled by EVENT_SIGNAL", nameof(hostEvents));
            }

            if (d.Number >= DynamicEventBase && d.Number - DynamicEventBase <= SdeiStateRegisters.MaxItem)
            {
                throw new ArgumentException($"event 0x{d.Number:x} lies in the bound-interrupt range", nameof(hostEvents));
            }

            if (!Enum.IsDefined(d.Type) || !Enum.IsDefined(d.Priority))
            {
                throw new ArgumentException($"event {d.Number}: unknown type or priority", nameof(hostEvents));
            }

            table.Add(d);
        }

        if (table.Count - 1 > SdeiStateRegisters.MaxItem)
        {
            throw new ArgumentException("the event table is larger than the state encoding can index", nameof(hostEvents));
        }

        _table = [.. table];
        _pes = new PeState[_mpidrs.Length];
        for (int v = 0; v < _pes.Length; v++)
        {
            _pes[v] = new PeState();
        }

        for (int i = 0; i < _table.Length; i++)
        {
            if (!_events.TryAdd(_table[i].Number, new EventDef(_table[i], i, null)))
            {
                throw new ArgumentException($"event {_table[i].Number} appears twice", nameof(hostEvents));
            }
        }

        foreach (EventDef e in _events.Values)
        {
            AddSlots(e);
        }

        RebuildOrder();
    }

    /// <summary>The number of vCPUs (PEs) the dispatcher serves.</summary>
    public int VcpuCount => _pes.Length;

    /// <summary>KVM's default MPIDR for a vCPU id (Aff0 = id[3:0], Aff1 = id[11:4], Aff2 = id[19:12]; arch/arm64/kvm/sys_regs.c reset_mpidr).</summary>
    public static ulong KvmDefaultMpidr(int vcpuId)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(vcpuId);
        ulong id = (ulong)vcpuId;
        return (1UL << 31) | (id & 0xF) | (((id >> 4) & 0xFF) << 8) | (((id >> 12) & 0xFF) << 16);
    }

    /// <summary>
    /// Handle an SDEI call made by vCPU <paramref name="vcpu"/>, stopped at the instruction after its HVC/SMC.
    /// Writes x0..x3 (unused results are 0, as KVM's own SMCCC handlers do) or restores the interrupted context
    /// on completion, then enters the handler of any event that became deliverable to this vCPU.
    /// </summary>
    public SdeiCallResult Call(int vcpu, in SmcccCall call, ISdeiVcpuContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        CheckVcpu(vcpu);
        lock (_lock)
        {
            Outcome outcome = Execute(vcpu, call, context);
            if (outcome.Returned)
            {
                context.SetX(0, outcome.X0);
                context.SetX(1, outcome.X1);
                context.SetX(2, outcome.X2);
                context.SetX(3, outcome.X3);
            }

            bool delivered = DeliverLocked(vcpu, context);
            KickLocked(vcpu);
            return new SdeiCallResult(outcome.Returned, outcome.X0, outcome.X1, outcome.X2, outcome.X3, delivered);
        }
    }

    /// <summary>
    /// Enter the handler of the highest-priority deliverable event on a stopped vCPU, if any (a critical event may
    /// nest on top of a normal one in the same call). The glue calls this after <see cref="ISdeiHost.RequestDelivery"/>.
    /// </summary>
    public bool Deliver(int vcpu, ISdeiVcpuContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        CheckVcpu(vcpu);
        lock (_lock)
        {
            bool delivered = DeliverLocked(vcpu, context);
            KickLocked(vcpu);
            return delivered;
        }
    }

    /// <summary>True when vCPU <paramref name="vcpu"/> has an event it would take now.</summary>
    public bool HasDeliverable(int vcpu)
    {
        CheckVcpu(vcpu);
        lock (_lock)
        {
            return PickLocked(vcpu) is not null;
        }
    }

    /// <summary>
    /// Signal an event from the host (a device, a RAS source, `sdei signal`), named by <paramref name="source"/> in
    /// <see cref="Signalled"/>. A private event goes to
    /// <paramref name="vcpu"/>, or to every vCPU when it is null; a shared event is routed by its registration and
    /// takes no vCPU. Returns Success when at least one registered instance took the signal, Denied when the event
    /// is registered nowhere it was sent (the signal is dropped, as an unregistered event's interrupt is), and
    /// InvalidParameters for an unknown event, a bad vCPU, or a vCPU given for a shared event.
    /// </summary>
    public SdeiReturnCode Signal(uint eventNumber, int? vcpu = null, string source = "host")
    {
        ArgumentNullException.ThrowIfNull(source);
        SdeiReturnCode result = SignalLocked(eventNumber, vcpu, out _);
        // Outside the lock: a listener may take its own locks (the VM's event hub).
        Signalled?.Invoke(new SdeiSignal(eventNumber, vcpu, source, result));
        return result;
    }

    /// <summary>Every host signal and its result, raised on the signalling thread after the
    /// dispatcher has taken it (a vCPU's thread for a bound interrupt).</summary>
    public event Action<SdeiSignal>? Signalled;

    /// <summary>Marks the event pending where <paramref name="vcpu"/> says; <paramref name="newlyPending"/>
    /// is true when some instance was not pending before.</summary>
    private SdeiReturnCode SignalLocked(uint eventNumber, int? vcpu, out bool newlyPending)
    {
        newlyPending = false;
        lock (_lock)
        {
            if (!_events.TryGetValue(eventNumber, out EventDef? e))
            {
                return SdeiReturnCode.InvalidParameters;
            }

            bool taken = false;
            if (e.Descriptor.Type == SdeiEventType.Shared)
            {
                if (vcpu is not null)
                {
                    return SdeiReturnCode.InvalidParameters;
                }

                taken = MarkPending(e.Shared!, ref newlyPending);
            }
            else if (vcpu is int one)
            {
                if ((uint)one >= (uint)_pes.Length)
                {
                    return SdeiReturnCode.InvalidParameters;
                }

                taken = MarkPending(_pes[one].Private[eventNumber], ref newlyPending);
            }
            else
            {
                foreach (PeState pe in _pes)
                {
                    taken |= MarkPending(pe.Private[eventNumber], ref newlyPending);
                }
            }

            KickLocked(-1);
            return taken ? SdeiReturnCode.Success : SdeiReturnCode.Denied;
        }
    }

    /// <summary>A bound interrupt fired: signal its event (see <see cref="Signal"/>). InvalidParameters when not bound.
    /// <see cref="Signalled"/> hears of an edge only when it changed something (see the body).</summary>
    public SdeiReturnCode SignalInterrupt(uint intid, int? vcpu = null)
    {
        if (intid > SdeiStateRegisters.MaxItem)
        {
            return SdeiReturnCode.InvalidParameters;
        }

        uint number = DynamicEventBase + intid;
        SdeiReturnCode result;
        bool report;
        lock (_lock)
        {
            if (!_events.TryGetValue(number, out EventDef? e) || e.BoundIntid is null)
            {
                return SdeiReturnCode.InvalidParameters;
            }

            // A guest that storms its bound line (a driver toggling the device's cause in a loop)
            // lands every edge on the event's one pending latch. Only a change is reported: an
            // edge that made the event pending, or an outcome unlike the last one reported for
            // this line (the first drop at an unregistered event). So a storm neither floods
            // Signalled (vm.events) nor allocates per edge.
            result = SignalLocked(number, vcpu, out bool newlyPending);
            report = newlyPending || e.LastInterruptResult != result;
            e.LastInterruptResult = result;
        }

        if (report)
        {
            Signalled?.Invoke(new SdeiSignal(number, vcpu, $"interrupt {intid}", result));
        }

        return result;
    }

    /// <summary>
    /// A vCPU was reset or powered on (PSCI CPU_ON, vCPU reset): its private events are unregistered, its dispatch
    /// stack dropped and the PE masked, as firmware does on a PE's power-up (DEN0054 §4.4, §5.1.15).
    /// </summary>
    public void ResetPe(int vcpu)
    {
        CheckVcpu(vcpu);
        lock (_lock)
        {
            ResetPeLocked(vcpu);
            KickLocked(-1);
        }
    }

    /// <summary>System reset: every event unregistered, every binding released, every PE masked.</summary>
    public void Reset()
    {
        lock (_lock)
        {
            ResetAllLocked();
        }
    }

    private void ResetPeLocked(int vcpu)
    {
        PeState pe = _pes[vcpu];
        foreach (Frame f in pe.Frames)
        {
            if (f.Event.Shared is { } shared)
            {
                shared.Running = false;
                shared.HandlerVcpu = -1;
            }
        }

        pe.Frames.Clear();
        foreach (EventSlot slot in pe.Private.Values)
        {
            slot.Clear();
        }

        pe.Masked = true;
    }

    private void ResetAllLocked()
    {
        for (int v = 0; v < _pes.Length; v++)
        {
            ResetPeLocked(v);
        }

        foreach (EventDef e in _events.Values.ToArray())
        {
            e.Shared?.Clear();
            if (e.BoundIntid is uint intid)
            {
                RemoveEvent(e);
                _binder?.Release(intid);
            }
        }

        RebuildOrder();
    }

    private void CheckVcpu(int vcpu)
    {
        if ((uint)vcpu >= (uint)_pes.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(vcpu), vcpu, $"the dispatcher has {_pes.Length} vCPUs");
        }
    }

    private static bool MarkPending(EventSlot slot)
    {
        bool newlyPending = false;
        return MarkPending(slot, ref newlyPending);
    }

    private static bool MarkPending(EventSlot slot, ref bool newlyPending)
    {
        // An unregistered event has no handler to remember a signal for: the signal is dropped (DEN0054 §6.1).
        if (!slot.Registered)
        {
            return false;
        }

        newlyPending |= !slot.Pending;
        slot.Pending = true;
        return true;
    }

    private EventSlot SlotOf(EventDef e, int vcpu) => e.Shared ?? _pes[vcpu].Private[e.Descriptor.Number];

    private int VcpuByAffinity(ulong mpidr)
    {
        // Bits outside the affinity fields (U, MT, RES) are ignored, as firmware does.
        return Array.IndexOf(_mpidrs, mpidr & MpidrAffinityMask);
    }

    /// <summary>The event vCPU <paramref name="vcpu"/> would take now: DEN0054 §6.1 dispatch conditions.</summary>
    private EventDef? PickLocked(int vcpu)
    {
        PeState pe = _pes[vcpu];
        if (pe.Masked)
        {
            return null;
        }

        // A running critical handler blocks everything; a running normal one admits only critical events (§3.5).
        Frame? top = pe.Frames.Count == 0 ? null : pe.Frames[^1];
        if (top is not null && top.Event.Descriptor.Priority == SdeiPriority.Critical)
        {
            return null;
        }

        foreach (EventDef e in _order)
        {
            if (top is not null && e.Descriptor.Priority != SdeiPriority.Critical)
            {
                break;
            }

            EventSlot slot = SlotOf(e, vcpu);
            if (!slot.Registered || !slot.Enabled || slot.Running || !slot.Pending)
            {
                continue;
            }

            if (e.Shared is not null && slot.Routing == SdeiRoutingMode.Pe && slot.Affinity != _mpidrs[vcpu])
            {
                continue;
            }

            return e;
        }

        return null;
    }

    private bool DeliverLocked(int vcpu, ISdeiVcpuContext context)
    {
        PeState pe = _pes[vcpu];
        pe.KickRequested = false;
        bool delivered = false;
        while (PickLocked(vcpu) is { } e)
        {
            Dispatch(vcpu, e, context);
            delivered = true;
        }

        return delivered;
    }

    /// <summary>Save the interrupted context and enter the handler (DEN0054 §6.2; TF-A setup_ns_dispatch).</summary>
    private void Dispatch(int vcpu, EventDef e, ISdeiVcpuContext context)
    {
        EventSlot slot = SlotOf(e, vcpu);
        var frame = new Frame(e);
        for (int i = 0; i < SavedRegisters; i++)
        {
            frame.X[i] = context.GetX(i);
        }

        frame.Pc = context.Pc;
        frame.Pstate = context.Pstate;
        _pes[vcpu].Frames.Add(frame);

        slot.Pending = false;
        slot.Running = true;
        if (e.Shared is not null)
        {
            slot.HandlerVcpu = vcpu;
        }

        context.SetX(0, e.Descriptor.Number);
        context.SetX(1, slot.Argument);
        context.SetX(2, frame.Pc);
        context.SetX(3, frame.Pstate);
        context.Pc = slot.EntryPoint;
        context.Pstate = EntryPstate(frame.Pstate, context.SctlrEl1);
    }

    /// <summary>
    /// PSTATE for the handler, as AArch64.TakeException would set it for EL1: EL1h, DAIF masked, PAN set unless
    /// SCTLR_EL1.SPAN keeps it, SSBS from SCTLR_EL1.DSSBS, DIT kept (DDI 0487 J1 TakeException; TF-A sdei_set_elr_spsr).
    /// </summary>
    internal static ulong EntryPstate(ulong interrupted, ulong sctlr)
    {
        ulong pstate = HandlerPstate | (interrupted & PstateDit);
        pstate |= (sctlr & SctlrSpan) == 0 ? PstatePan : interrupted & PstatePan;
        if ((sctlr & SctlrDssbs) != 0)
        {
            pstate |= PstateSsbs;
        }

        return pstate;
    }

    /// <summary>Ask the host to kick every other vCPU that now has something to take and was not asked yet.</summary>
    private void KickLocked(int caller)
    {
        for (int v = 0; v < _pes.Length; v++)
        {
            if (v == caller || _pes[v].KickRequested || PickLocked(v) is null)
            {
                continue;
            }

            _pes[v].KickRequested = true;
            _host.RequestDelivery(v);
        }
    }

    private void AddSlots(EventDef e)
    {
        if (e.Descriptor.Type == SdeiEventType.Shared)
        {
            e.Shared = new EventSlot();
            return;
        }

        foreach (PeState pe in _pes)
        {
            pe.Private[e.Descriptor.Number] = new EventSlot();
        }
    }

    private void RemoveEvent(EventDef e)
    {
        _events.Remove(e.Descriptor.Number);
        foreach (PeState pe in _pes)
        {
            pe.Private.Remove(e.Descriptor.Number);
        }
    }

    private void RebuildOrder()
    {
        _order = [.. _events.Values
            .OrderByDescending(e => e.Descriptor.Priority)
            .ThenBy(e => e.Descriptor.Number)];
    }

    private sealed class EventDef(SdeiEventDescriptor descriptor, int tableIndex, uint? boundIntid)
    {
        public SdeiEventDescriptor Descriptor { get; } = descriptor;

        /// <summary>Index in the static table, or -1 for a bound interrupt's event.</summary>
        public int TableIndex { get; } = tableIndex;

        public uint? BoundIntid { get; } = boundIntid;

        /// <summary>The one instance of a shared event; null for private events (their instances live per PE).</summary>
        public EventSlot? Shared { get; set; }

        /// <summary>A bound interrupt's last reported outcome (<see cref="SignalInterrupt"/>); null before its first edge.</summary>
        public SdeiReturnCode? LastInterruptResult { get; set; }
    }

    /// <summary>One instance of an event: the TF-A/DEN0054 §6.1 composite state plus what registration stored.</summary>
    private sealed class EventSlot
    {
        public bool Registered { get; set; }

        public bool Enabled { get; set; }

        /// <summary>A handler is running; with !Registered this is the handler-unregister-pending state.</summary>
        public bool Running { get; set; }

        /// <summary>Signalled and not yet dispatched (one latch, like an interrupt's pending bit).</summary>
        public bool Pending { get; set; }

        public ulong EntryPoint { get; set; }

        public ulong Argument { get; set; }

        public SdeiRoutingMode Routing { get; set; }

        public ulong Affinity { get; set; }

        /// <summary>Shared events: the vCPU running the handler, or -1.</summary>
        public int HandlerVcpu { get; set; } = -1;

        public bool IsIdle => !Registered && !Running;

        public void Unregister()
        {
            Registered = false;
            Enabled = false;
            Pending = false;
            EntryPoint = 0;
            Argument = 0;
            Routing = SdeiRoutingMode.Any;
            Affinity = 0;
        }

        public void Clear()
        {
            Unregister();
            Running = false;
            HandlerVcpu = -1;
        }
    }

    private sealed class Frame(EventDef e)
    {
        public EventDef Event { get; } = e;

        public ulong[] X { get; } = new ulong[SavedRegisters];

        public ulong Pc { get; set; }

        public ulong Pstate { get; set; }
    }

    private sealed class PeState
    {
        /// <summary>PEs start masked (DEN0054 §5.1.12; TF-A masks on CPU_ON).</summary>
        public bool Masked { get; set; } = true;

        /// <summary>At most two: a normal dispatch and a critical one that preempted it.</summary>
        public List<Frame> Frames { get; } = new(2);

        public Dictionary<uint, EventSlot> Private { get; } = new();

        public bool KickRequested { get; set; }
    }

    private readonly record struct Outcome(bool Returned, ulong X0, ulong X1 = 0, ulong X2 = 0, ulong X3 = 0)
    {
        public static Outcome NoReturn => new(false, 0);

        public static Outcome Of(SdeiReturnCode code) => new(true, (ulong)(long)code);

        public static Outcome Value(ulong x0) => new(true, x0);
    }
}
