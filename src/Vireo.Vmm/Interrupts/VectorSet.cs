using Vireo.Sys;

namespace Vireo.Vmm;

/// <summary>
/// The engine behind <see cref="MsixVectors"/> and <see cref="MsiVectors"/>: per vector, the
/// message the guest programmed, whether it is enabled and masked, and one device eventfd.
/// A vector that is enabled and unmasked is *live*: its eventfd is an irqfd on its own MSI GSI,
/// so the device's signal reaches the guest without the VMM. Any other vector's eventfd is
/// watched by the <see cref="InterruptEventLoop"/>: a signal while masked sets the vector's
/// pending bit, which is delivered when the vector goes live (PCI 3.0 §6.8.2.9); a signal while
/// disabled is dropped. Every method runs under the owner's lock, which the loop's handler takes
/// too.
/// </summary>
internal sealed class VectorSet
{
    private const uint NoGsi = uint.MaxValue;

    private readonly object _gate;
    private readonly GsiRouter _router;
    private readonly IKvmInterrupts _kvm;
    private readonly InterruptEventLoop _loop;
    private readonly EventFd[] _triggers;
    private readonly Vector[] _vectors;
    private readonly ushort _requesterId;

    public VectorSet(object gate, GsiRouter router, IKvmInterrupts kvm, InterruptEventLoop loop, IReadOnlyList<EventFd> triggers, ushort requesterId)
    {
        _requesterId = requesterId;
        _gate = gate;
        _router = router;
        _kvm = kvm;
        _loop = loop;
        _triggers = [.. triggers];
        _vectors = new Vector[_triggers.Length];
        for (int v = 0; v < _vectors.Length; v++)
        {
            // The VMM reads a masked vector's eventfd only when epoll says it is readable, but the
            // drain on unmask must not block if the count is zero.
            FileDescriptor.SetNonBlocking(_triggers[v].Handle);
            _vectors[v] = new Vector { Gsi = NoGsi, IrqfdGsi = NoGsi, Masked = true };
        }
    }

    public int Count => _vectors.Length;

    public bool IsPending(int v) => _vectors[v].Pending;

    public bool IsLive(int v) => _vectors[v].Mode == Mode.Live;

    public uint? GsiOf(int v) => _vectors[v].Gsi == NoGsi ? null : _vectors[v].Gsi;

    /// <summary>Signals vector <paramref name="v"/>'s eventfd, as its device would; needs no lock
    /// (what the signal does depends on the vector's state when KVM or the loop sees it).</summary>
    public void Signal(int v) => _triggers[v].Signal();

    /// <summary>Records what the guest programmed for vector <paramref name="v"/>; takes effect on <see cref="Apply"/>.</summary>
    public void Set(int v, bool enabled, bool masked, ulong address, uint data)
    {
        ref Vector vector = ref _vectors[v];
        vector.Enabled = enabled;
        vector.Masked = masked;
        vector.Address = address;
        vector.Data = data;
    }

    /// <summary>Brings vectors [<paramref name="first"/>, <paramref name="first"/>+<paramref name="count"/>)
    /// to what <see cref="Set"/> recorded, with at most one routing commit.</summary>
    public void Apply(int first, int count)
    {
        // 1. Vectors leaving the live state lose their irqfd first, so no signal reaches a GSI
        //    that is about to be freed and handed to another device.
        for (int v = first; v < first + count; v++)
        {
            if (_vectors[v].Mode == Mode.Live && !WantsLive(v))
            {
                _kvm.UnregisterIrqfd(_triggers[v], _vectors[v].IrqfdGsi);
                _vectors[v].IrqfdGsi = NoGsi;
                Watch(v);
            }
            else if (_vectors[v].Mode == Mode.None && !WantsLive(v))
            {
                Watch(v);
            }
        }

        // 2. Routes: disabled vectors give their GSI back; live ones get a GSI and their message.
        //    A masked, enabled vector keeps its GSI and route, so mask/unmask costs no commit.
        for (int v = first; v < first + count; v++)
        {
            ref Vector vector = ref _vectors[v];
            if (!vector.Enabled)
            {
                vector.Pending = false;
                if (vector.Gsi != NoGsi)
                {
                    _router.ReleaseMsiGsi(vector.Gsi);
                    vector.Gsi = NoGsi;
                }
            }
            else if (WantsLive(v))
            {
                if (vector.Gsi == NoGsi)
                {
                    vector.Gsi = _router.AllocateMsiGsi();
                }
                _router.SetMsiRoute(vector.Gsi, vector.Address, vector.Data, _requesterId);
            }
        }
        _router.Commit();

        // 3. Vectors becoming live: stop watching, keep a signal that raced the switch as pending,
        //    hand the eventfd to KVM, and deliver what was pending through it.
        for (int v = first; v < first + count; v++)
        {
            ref Vector vector = ref _vectors[v];
            if (WantsLive(v) && vector.Mode != Mode.Live)
            {
                Unwatch(v);
                vector.Mode = Mode.None;
                if (_triggers[v].TryRead() != 0)
                {
                    vector.Pending = true;
                }
                _kvm.RegisterIrqfd(_triggers[v], vector.Gsi);
                vector.IrqfdGsi = vector.Gsi;
                vector.Mode = Mode.Live;
                if (vector.Pending)
                {
                    vector.Pending = false;
                    _triggers[v].Signal();
                }
            }
        }
    }

    /// <summary>Takes every vector out of KVM and the loop and gives back its GSI.</summary>
    public void Detach()
    {
        for (int v = 0; v < _vectors.Length; v++)
        {
            ref Vector vector = ref _vectors[v];
            if (vector.Mode == Mode.Live)
            {
                _kvm.UnregisterIrqfd(_triggers[v], vector.IrqfdGsi);
            }
            else if (vector.Mode == Mode.Watched)
            {
                Unwatch(v);
            }
            vector.Mode = Mode.None;
            if (vector.Gsi != NoGsi)
            {
                _router.ReleaseMsiGsi(vector.Gsi);
                vector.Gsi = NoGsi;
            }
        }
        _router.Commit();
    }

    private bool WantsLive(int v) => _vectors[v].Enabled && !_vectors[v].Masked;

    private void Watch(int v)
    {
        int vector = v;
        _vectors[v].Token = _loop.Watch(_triggers[v], () => OnSignalWhileNotLive(vector));
        _vectors[v].Mode = Mode.Watched;
    }

    private void Unwatch(int v)
    {
        if (_vectors[v].Mode == Mode.Watched)
        {
            _loop.Unwatch(_triggers[v], _vectors[v].Token);
        }
    }

    // On the loop's thread. The vector may have gone live since epoll reported it: then KVM owns
    // the eventfd and there is nothing to do.
    private void OnSignalWhileNotLive(int v)
    {
        lock (_gate)
        {
            ref Vector vector = ref _vectors[v];
            if (vector.Mode != Mode.Watched)
            {
                return;
            }
            if (_triggers[v].TryRead() != 0 && vector.Enabled)
            {
                vector.Pending = true;
            }
        }
    }

    private enum Mode
    {
        None,
        Watched,
        Live,
    }

    private struct Vector
    {
        public Mode Mode;
        public bool Enabled;
        public bool Masked;
        public bool Pending;
        public ulong Address;
        public uint Data;
        public uint Gsi;
        public uint IrqfdGsi;
        public ulong Token;
    }
}
