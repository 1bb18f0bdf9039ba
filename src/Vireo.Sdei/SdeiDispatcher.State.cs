using static Vireo.Sdei.SdeiStateRegisters;

namespace Vireo.Sdei;

public sealed partial class SdeiDispatcher
{
    /// <summary>The whole dispatcher state as pseudo-registers (see <see cref="SdeiStateRegisters"/> for the encoding).</summary>
    public SdeiState ExportState()
    {
        lock (_lock)
        {
            var shared = new List<SdeiRegister>
            {
                new(Id(GroupHeader, 0, FieldVersion), FormatVersion),
                new(Id(GroupHeader, 0, FieldListKind), ListKindShared),
            };
            foreach (EventDef e in _order.OrderBy(e => e.Descriptor.Number))
            {
                if (e.BoundIntid is uint intid)
                {
                    shared.Add(new(Id(GroupBinding, intid, FieldBindingKind), e.Shared is null ? BindingPrivate : BindingShared));
                }

                if (e.Shared is { } slot)
                {
                    (byte group, uint item) = e.BoundIntid is uint bound ? (GroupBoundSharedEvent, bound) : (GroupSharedEvent, (uint)e.TableIndex);
                    AddEvent(shared, group, item, e, slot);
                    shared.Add(new(Id(group, item, FieldRoutingMode), (ulong)slot.Routing));
                    shared.Add(new(Id(group, item, FieldAffinity), slot.Affinity));
                    shared.Add(new(Id(group, item, FieldHandlerVcpu), (ulong)(slot.HandlerVcpu + 1)));
                }
            }

            var vcpus = new IReadOnlyList<SdeiRegister>[_pes.Length];
            for (int v = 0; v < _pes.Length; v++)
            {
                PeState pe = _pes[v];
                var list = new List<SdeiRegister>
                {
                    new(Id(GroupHeader, 0, FieldVersion), FormatVersion),
                    new(Id(GroupHeader, 0, FieldListKind), ListKindVcpu),
                    new(Id(GroupPe, 0, FieldMasked), pe.Masked ? 1UL : 0),
                    new(Id(GroupPe, 0, FieldDepth), (ulong)pe.Frames.Count),
                };
                foreach (EventDef e in _order.Where(e => e.Shared is null).OrderBy(e => e.Descriptor.Number))
                {
                    (byte group, uint item) = e.BoundIntid is uint bound ? (GroupBoundPrivateEvent, bound) : (GroupPrivateEvent, (uint)e.TableIndex);
                    AddEvent(list, group, item, e, pe.Private[e.Descriptor.Number]);
                }

                for (int level = 0; level < pe.Frames.Count; level++)
                {
                    Frame f = pe.Frames[level];
                    list.Add(new(Id(GroupFrame, (uint)level, FieldFrameEvent), f.Event.Descriptor.Number));
                    for (int i = 0; i < SavedRegisters; i++)
                    {
                        list.Add(new(Id(GroupFrame, (uint)level, (byte)(FieldFrameX0 + i)), f.X[i]));
                    }

                    list.Add(new(Id(GroupFrame, (uint)level, FieldFramePc), f.Pc));
                    list.Add(new(Id(GroupFrame, (uint)level, FieldFramePstate), f.Pstate));
                }

                vcpus[v] = list;
            }

            return new SdeiState(shared, vcpus);
        }
    }

    private static void AddEvent(List<SdeiRegister> list, byte group, uint item, EventDef e, EventSlot slot)
    {
        list.Add(new(Id(group, item, FieldEventNumber), e.Descriptor.Number));
        list.Add(new(Id(group, item, FieldEventFlags), StatusBits(slot) | (slot.Pending ? FlagPending : 0)));
        list.Add(new(Id(group, item, FieldEntryPoint), slot.EntryPoint));
        list.Add(new(Id(group, item, FieldArgument), slot.Argument));
    }

    /// <summary>
    /// Replace the state with one taken by <see cref="ExportState"/> on a dispatcher with the same event table and
    /// vCPUs. Every register is checked first (unknown, duplicate or missing ids, impossible values and states all
    /// throw <see cref="SdeiStateException"/> and change nothing); then bound interrupts are bound again through the
    /// binder, and if the binder refuses one the dispatcher is left reset and the call throws.
    /// </summary>
    public void ImportState(SdeiState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(state.Shared);
        ArgumentNullException.ThrowIfNull(state.Vcpus);
        lock (_lock)
        {
            Parsed parsed = Parse(state);
            Commit(parsed);
            KickLocked(-1);
        }
    }

    private Parsed Parse(SdeiState state)
    {
        if (state.Vcpus.Count != _pes.Length)
        {
            throw new SdeiStateException($"the state has {state.Vcpus.Count} vCPU lists, the dispatcher {_pes.Length} vCPUs");
        }

        var shared = new RegisterBag(state.Shared, "shared");
        shared.ExpectHeader(ListKindShared);

        // Bindings first: they define the bound events the other groups describe.
        var bindings = new SortedDictionary<uint, SdeiEventType>();
        foreach (ulong id in shared.Ids.Where(id => GroupOf(id) == GroupBinding).ToArray())
        {
            uint intid = ItemOf(id);
            if (FieldOf(id) != FieldBindingKind)
            {
                throw new SdeiStateException($"shared: unknown register 0x{id:x}");
            }

            bindings[intid] = shared.Take(id) switch
            {
                BindingPrivate => SdeiEventType.Private,
                BindingShared => SdeiEventType.Shared,
                ulong other => throw new SdeiStateException($"shared: binding of INTID {intid} has kind {other}"),
            };
            if (bindings.Count > 0 && _binder is null)
            {
                throw new SdeiStateException("shared: the state has bound interrupts and this dispatcher has no binder");
            }
        }

        var defs = new List<(SdeiEventDescriptor Descriptor, byte Group, uint Item)>();
        for (int i = 0; i < _table.Length; i++)
        {
            SdeiEventDescriptor d = _table[i];
            defs.Add((d, d.Type == SdeiEventType.Shared ? GroupSharedEvent : GroupPrivateEvent, (uint)i));
        }

        foreach ((uint intid, SdeiEventType type) in bindings)
        {
            defs.Add((new SdeiEventDescriptor(DynamicEventBase + intid, type, SdeiPriority.Normal), type == SdeiEventType.Shared ? GroupBoundSharedEvent : GroupBoundPrivateEvent, intid));
        }

        var parsed = new Parsed(bindings, _pes.Length);
        foreach ((SdeiEventDescriptor d, byte group, uint item) in defs.Where(x => x.Descriptor.Type == SdeiEventType.Shared))
        {
            ParsedSlot slot = ParseSlot(shared, group, item, d.Number);
            slot.Routing = shared.Take(Id(group, item, FieldRoutingMode)) switch
            {
                0 => SdeiRoutingMode.Any,
                1 => SdeiRoutingMode.Pe,
                ulong m => throw new SdeiStateException($"event {d.Number}: routing mode {m}"),
            };
            slot.Affinity = shared.Take(Id(group, item, FieldAffinity));
            ulong handler = shared.Take(Id(group, item, FieldHandlerVcpu));
            if (handler > (ulong)_pes.Length)
            {
                throw new SdeiStateException($"event {d.Number}: handler vCPU {handler - 1} does not exist");
            }

            slot.HandlerVcpu = (int)handler - 1;
            if (slot.Registered && slot.Routing == SdeiRoutingMode.Pe
                ? slot.Affinity != (slot.Affinity & MpidrAffinityMask) || VcpuByAffinity(slot.Affinity) < 0
                : slot.Affinity != 0 || (!slot.Registered && slot.Routing != SdeiRoutingMode.Any))
            {
                throw new SdeiStateException($"event {d.Number}: routing {slot.Routing} to 0x{slot.Affinity:x} is not a routing the guest could set");
            }

            if (slot.Running != (slot.HandlerVcpu >= 0))
            {
                throw new SdeiStateException($"event {d.Number}: running flag and handler vCPU disagree");
            }

            parsed.Shared[d.Number] = slot;
        }

        shared.ExpectEmpty();

        for (int v = 0; v < _pes.Length; v++)
        {
            var bag = new RegisterBag(state.Vcpus[v] ?? throw new SdeiStateException($"vCPU {v}: no register list"), $"vCPU {v}");
            bag.ExpectHeader(ListKindVcpu);
            ParsedPe pe = parsed.Pes[v];
            pe.Masked = bag.Take(Id(GroupPe, 0, FieldMasked)) switch
            {
                0 => false,
                1 => true,
                ulong m => throw new SdeiStateException($"vCPU {v}: masked = {m}"),
            };
            ulong depth = bag.Take(Id(GroupPe, 0, FieldDepth));
            if (depth > 2)
            {
                throw new SdeiStateException($"vCPU {v}: dispatch depth {depth}");
            }

            foreach ((SdeiEventDescriptor d, byte group, uint item) in defs.Where(x => x.Descriptor.Type == SdeiEventType.Private))
            {
                ParsedSlot slot = ParseSlot(bag, group, item, d.Number);
                slot.HandlerVcpu = slot.Running ? v : -1;
                pe.Private[d.Number] = slot;
            }

            for (uint level = 0; level < depth; level++)
            {
                ulong number = bag.Take(Id(GroupFrame, level, FieldFrameEvent));
                SdeiEventDescriptor? d = number <= uint.MaxValue ? defs.Select(x => x.Descriptor).Cast<SdeiEventDescriptor?>().FirstOrDefault(x => x!.Value.Number == number) : null;
                if (d is null)
                {
                    throw new SdeiStateException($"vCPU {v}: frame {level} names unknown event {number}");
                }

                var frame = new ParsedFrame(d.Value);
                for (int i = 0; i < SavedRegisters; i++)
                {
                    frame.X[i] = bag.Take(Id(GroupFrame, level, (byte)(FieldFrameX0 + i)));
                }

                frame.Pc = bag.Take(Id(GroupFrame, level, FieldFramePc));
                frame.Pstate = bag.Take(Id(GroupFrame, level, FieldFramePstate));
                pe.Frames.Add(frame);
            }

            bag.ExpectEmpty();
            CheckFrames(parsed, v);
        }

        // Every running instance is on exactly one dispatch stack, and only there.
        foreach ((uint number, ParsedSlot slot) in parsed.Shared)
        {
            if (slot.Running && !parsed.Pes[slot.HandlerVcpu].Frames.Any(f => f.Descriptor.Number == number))
            {
                throw new SdeiStateException($"event {number}: running on vCPU {slot.HandlerVcpu}, which has no frame for it");
            }
        }

        return parsed;
    }

    private void CheckFrames(Parsed parsed, int v)
    {
        ParsedPe pe = parsed.Pes[v];
        if (pe.Frames.Count == 2 && (pe.Frames[0].Descriptor.Priority != SdeiPriority.Normal || pe.Frames[1].Descriptor.Priority != SdeiPriority.Critical))
        {
            throw new SdeiStateException($"vCPU {v}: only a critical event may be dispatched over a normal one");
        }

        foreach (ParsedFrame f in pe.Frames)
        {
            ParsedSlot slot = f.Descriptor.Type == SdeiEventType.Shared ? parsed.Shared[f.Descriptor.Number] : pe.Private[f.Descriptor.Number];
            if (!slot.Running || slot.HandlerVcpu != v)
            {
                throw new SdeiStateException($"vCPU {v}: frame for event {f.Descriptor.Number}, which is not running there");
            }
        }

        foreach ((uint number, ParsedSlot slot) in pe.Private)
        {
            if (slot.Running && !pe.Frames.Any(f => f.Descriptor.Number == number))
            {
                throw new SdeiStateException($"vCPU {v}: event {number} is running without a frame");
            }
        }
    }

    private static ParsedSlot ParseSlot(RegisterBag bag, byte group, uint item, uint number)
    {
        if (bag.Take(Id(group, item, FieldEventNumber)) != number)
        {
            throw new SdeiStateException($"{bag.Name}: item {item} of group 0x{group:x} is not event {number}: the event tables differ");
        }

        ulong flags = bag.Take(Id(group, item, FieldEventFlags));
        var slot = new ParsedSlot
        {
            Registered = (flags & FlagRegistered) != 0,
            Enabled = (flags & FlagEnabled) != 0,
            Running = (flags & FlagRunning) != 0,
            Pending = (flags & FlagPending) != 0,
            EntryPoint = bag.Take(Id(group, item, FieldEntryPoint)),
            Argument = bag.Take(Id(group, item, FieldArgument)),
        };

        // Only the states of DEN0054 §6.1: enabled and pending need a registration, which needs a handler.
        bool valid = (flags & ~(FlagRegistered | FlagEnabled | FlagRunning | FlagPending)) == 0
            && (slot.Registered || (!slot.Enabled && !slot.Pending && slot.EntryPoint == 0 && slot.Argument == 0))
            && (!slot.Registered || ValidEntryPoint(slot.EntryPoint));
        if (!valid)
        {
            throw new SdeiStateException($"{bag.Name}: event {number} has an impossible state (flags 0x{flags:x}, entry 0x{slot.EntryPoint:x})");
        }

        return slot;
    }

    private void Commit(Parsed parsed)
    {
        // Drop the current state (and bindings), then bind what the state had bound.
        ResetAllLocked();
        foreach ((uint intid, SdeiEventType type) in parsed.Bindings)
        {
            SdeiBindOutcome outcome = _binder!.Bind(intid);
            SdeiBindOutcome expected = type == SdeiEventType.Shared ? SdeiBindOutcome.Shared : SdeiBindOutcome.Private;
            if (outcome != expected)
            {
                // Bound, but as the other kind: give it back; the ones already added go back with the reset.
                if (outcome is SdeiBindOutcome.Private or SdeiBindOutcome.Shared)
                {
                    _binder.Release(intid);
                }

                ResetAllLocked();
                throw new SdeiStateException($"INTID {intid}: the binder answered {outcome} where the state has a {type} binding");
            }

            AddBound(intid, type);
        }

        RebuildOrder();
        foreach (EventDef e in _events.Values)
        {
            if (e.Shared is { } slot)
            {
                parsed.Shared[e.Descriptor.Number].ApplyTo(slot);
            }
        }

        for (int v = 0; v < _pes.Length; v++)
        {
            PeState pe = _pes[v];
            ParsedPe source = parsed.Pes[v];
            pe.Masked = source.Masked;
            pe.KickRequested = false;
            foreach ((uint number, EventSlot slot) in pe.Private)
            {
                source.Private[number].ApplyTo(slot);
            }

            foreach (ParsedFrame f in source.Frames)
            {
                var frame = new Frame(_events[f.Descriptor.Number]) { Pc = f.Pc, Pstate = f.Pstate };
                f.X.CopyTo(frame.X, 0);
                pe.Frames.Add(frame);
            }
        }
    }

    private sealed class RegisterBag
    {
        private readonly Dictionary<ulong, ulong> _values = new();

        public RegisterBag(IReadOnlyList<SdeiRegister> registers, string name)
        {
            Name = name;
            foreach (SdeiRegister r in registers)
            {
                if (!IsSdeiRegister(r.Id))
                {
                    throw new SdeiStateException($"{name}: 0x{r.Id:x} is not an SDEI pseudo-register");
                }

                if (!_values.TryAdd(r.Id, r.Value))
                {
                    throw new SdeiStateException($"{name}: register 0x{r.Id:x} appears twice");
                }
            }
        }

        public string Name { get; }

        public IEnumerable<ulong> Ids => _values.Keys;

        public ulong Take(ulong id)
        {
            if (!_values.Remove(id, out ulong value))
            {
                throw new SdeiStateException($"{Name}: register 0x{id:x} is missing");
            }

            return value;
        }

        public void ExpectHeader(ulong kind)
        {
            ulong version = Take(Id(GroupHeader, 0, FieldVersion));
            if (version != FormatVersion)
            {
                throw new SdeiStateException($"{Name}: state format version {version}, this dispatcher reads {FormatVersion}");
            }

            if (Take(Id(GroupHeader, 0, FieldListKind)) != kind)
            {
                throw new SdeiStateException($"{Name}: the list is of the wrong kind");
            }
        }

        public void ExpectEmpty()
        {
            if (_values.Count != 0)
            {
                throw new SdeiStateException($"{Name}: unknown register 0x{_values.Keys.Min():x}");
            }
        }
    }

    private sealed class ParsedSlot
    {
        public bool Registered { get; init; }

        public bool Enabled { get; init; }

        public bool Running { get; init; }

        public bool Pending { get; init; }

        public ulong EntryPoint { get; init; }

        public ulong Argument { get; init; }

        public SdeiRoutingMode Routing { get; set; }

        public ulong Affinity { get; set; }

        public int HandlerVcpu { get; set; } = -1;

        public void ApplyTo(EventSlot slot)
        {
            slot.Registered = Registered;
            slot.Enabled = Enabled;
            slot.Running = Running;
            slot.Pending = Pending;
            slot.EntryPoint = EntryPoint;
            slot.Argument = Argument;
            slot.Routing = Routing;
            slot.Affinity = Affinity;
            slot.HandlerVcpu = HandlerVcpu;
        }
    }

    private sealed class ParsedFrame(SdeiEventDescriptor descriptor)
    {
        public SdeiEventDescriptor Descriptor { get; } = descriptor;

        public ulong[] X { get; } = new ulong[SavedRegisters];

        public ulong Pc { get; set; }

        public ulong Pstate { get; set; }
    }

    private sealed class ParsedPe
    {
        public bool Masked { get; set; }

        public List<ParsedFrame> Frames { get; } = new(2);

        public Dictionary<uint, ParsedSlot> Private { get; } = new();
    }

    private sealed class Parsed
    {
        public Parsed(SortedDictionary<uint, SdeiEventType> bindings, int vcpus)
        {
            Bindings = bindings;
            Pes = new ParsedPe[vcpus];
            for (int i = 0; i < vcpus; i++)
            {
                Pes[i] = new ParsedPe();
            }
        }

        public SortedDictionary<uint, SdeiEventType> Bindings { get; }

        public Dictionary<uint, ParsedSlot> Shared { get; } = new();

        public ParsedPe[] Pes { get; }
    }
}
