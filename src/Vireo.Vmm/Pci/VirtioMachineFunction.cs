using Vireo.Memory;
using Vireo.Pci;
using Vireo.Sys;
using Vireo.Virtio;

namespace Vireo.Vmm;

/// <summary>
/// A virtio device on the machine's PCI bus: the device model (<see cref="IVirtioDevice"/>, which
/// outlives reboots) behind a <see cref="VirtioPciFunction"/> transport, which is fresh for every
/// machine. Bound to a machine it gets the machine's MSI-X plumbing (<see cref="MsixVectors"/>,
/// the same as an assigned device's: one eventfd per vector, an irqfd while the vector is live)
/// and one ioeventfd per queue at the queue's doorbell, served by a <see cref="VirtioQueueWorker"/>
/// thread, so neither a kick nor an interrupt costs a userspace exit.
/// </summary>
/// <remarks>Config and BAR accesses come from vCPU threads and go to the current transport,
/// which serialises them with the worker under its own lock. Binding and BAR placement are
/// serialised here.</remarks>
public sealed class VirtioMachineFunction : IMachineBoundPciFunction, IDeviceCounters, IDisposable
{
    // Linux's vp_notify writes the queue index as 16 bits; other widths trap to the transport.
    private const int DoorbellWriteSize = 2;

    private readonly Lock _gate = new();
    private readonly IVirtioDevice _device;
    private readonly Action<string>? _log;
    private readonly IDisposable? _resources;
    private VirtioPciFunction _transport;
    private Binding? _binding;
    private MmioAddress? _bar;
    private bool _disposed;

    /// <summary>A function called <paramref name="id"/> for <paramref name="device"/>, which it
    /// owns from now on (disposed with it if disposable).</summary>
    /// <param name="id">The function's name in the machine.</param>
    /// <param name="device">The device model.</param>
    /// <param name="log">Where the device says what the user should know (a guest that
    /// misprogrammed a queue), or null.</param>
    /// <param name="resources">What the device model uses and the function owns too (a disk's
    /// image file), disposed after the device; or null.</param>
    public VirtioMachineFunction(string id, IVirtioDevice device, Action<string>? log = null, IDisposable? resources = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        ArgumentNullException.ThrowIfNull(device);
        Id = id;
        _device = device;
        _log = log;
        _resources = resources;
        _transport = new VirtioPciFunction(id, device, log);
    }

    /// <inheritdoc/>
    public string Id { get; }

    /// <summary>The device model behind the function.</summary>
    public IVirtioDevice Device => _device;

    /// <summary>The transport of the current (or next) machine.</summary>
    public VirtioPciFunction Transport => Volatile.Read(ref _transport);

    /// <inheritdoc/>
    public string Backend => "virtio";

    /// <inheritdoc/>
    public bool NeedsSharedMemory => false;

    /// <inheritdoc/>
    public string InterruptMode => Transport.MsixEnabled ? "msix" : "none";

    /// <inheritdoc/>
    public bool IsAlive => true;

    /// <summary>The device model's counters (a disk's requests and bytes); none for a device that keeps none.</summary>
    public IReadOnlyList<KeyValuePair<string, long>> ReadCounters() => _device is IDeviceCounters counters ? counters.ReadCounters() : [];

    /// <inheritdoc/>
    public IReadOnlyList<PciBarDescriptor> Bars => Transport.Bars;

    /// <inheritdoc/>
    public int ConfigSize => Transport.ConfigSize;

    /// <inheritdoc/>
    public void ReadConfig(int offset, Span<byte> data) => Transport.ReadConfig(offset, data);

    /// <inheritdoc/>
    public void WriteConfig(int offset, ReadOnlySpan<byte> data) => Transport.WriteConfig(offset, data);

    /// <inheritdoc/>
    public void ReadBar(int index, ulong offset, Span<byte> data) => Transport.ReadBar(index, offset, data);

    /// <inheritdoc/>
    public void WriteBar(int index, ulong offset, ReadOnlySpan<byte> data) => Transport.WriteBar(index, offset, data);

    /// <inheritdoc/>
    public MappedMemory MapArea(int index, PciMmapArea area) => Transport.MapArea(index, area);

    /// <summary>The BAR moved (or stopped decoding): the doorbells' ioeventfds move with it.</summary>
    public void MemoryBarPlaced(int index, MmioAddress? address)
    {
        if (index != VirtioPciFunction.BarIndex)
        {
            return;
        }
        lock (_gate)
        {
            _bar = address;
            _binding?.PlaceDoorbells(address);
        }
    }

    /// <inheritdoc/>
    public void Bind(PciFunctionHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_binding is not null)
            {
                throw new InvalidOperationException($"virtio device '{Id}' is bound already");
            }
            var binding = new Binding(this, host, _transport);
            try
            {
                binding.PlaceDoorbells(_bar);
                binding.Start();
            }
            catch
            {
                binding.Dispose();
                throw;
            }
            _binding = binding;
        }
    }

    /// <inheritdoc/>
    public void Unbind()
    {
        lock (_gate)
        {
            if (_binding is null)
            {
                return;
            }
            _binding.Dispose();
            _binding = null;
            // The machine's RAM goes next: what the device still has in flight there (a disk's
            // reads in its engine) is waited out now, as a reset of the hardware would.
            _device.Reset();
            // The next machine boots a guest that knows nothing of this one's queues.
            _bar = null;
            Volatile.Write(ref _transport, new VirtioPciFunction(Id, _device, _log));
        }
    }

    /// <summary>How long <see cref="Quiesce"/> waits for a device's requests in flight.</summary>
    public static readonly TimeSpan QuiesceTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Makes the device stand still for a snapshot of the paused machine: its worker
    /// completes what the device has in flight on the host (a disk's requests, whose results go to
    /// the guest's rings and interrupts as usual) and then serves nothing until the result is
    /// disposed. A function bound to no machine stands still already.</summary>
    /// <exception cref="SnapshotException">The device's requests did not complete within <see cref="QuiesceTimeout"/>.</exception>
    public IDisposable Quiesce()
    {
        lock (_gate)
        {
            if (_binding is not Binding binding)
            {
                return new Resumption(null);
            }
            if (!binding.Worker.Park(QuiesceTimeout))
            {
                binding.Worker.Resume();
                throw new SnapshotException($"virtio device '{Id}' did not complete its requests in flight within {QuiesceTimeout.TotalSeconds:F0} s");
            }
            return new Resumption(binding.Worker);
        }
    }

    /// <summary>The transport's state for a snapshot; while <see cref="Quiesce"/>d.</summary>
    public VirtioTransportState SaveState() => Transport.SaveState();

    /// <summary>Puts a snapshot's transport state into the function of a machine just built for it,
    /// after its PCI config space and MSI-X table (<see cref="VirtioPciFunction.RestoreState"/>),
    /// and has each queue served once: the driver kicked them in the snapshotted process, and a
    /// device that waits for a kick before taking host input (a network device's receive queue)
    /// would otherwise wait for ever.</summary>
    /// <exception cref="ArgumentException">The state does not fit this device.</exception>
    /// <exception cref="InvalidOperationException">The function is bound to no machine.</exception>
    public void RestoreState(VirtioTransportState state)
    {
        lock (_gate)
        {
            if (_binding is not Binding binding)
            {
                throw new InvalidOperationException($"virtio device '{Id}' is bound to no machine");
            }
            bool parked = binding.Worker.Park(QuiesceTimeout);
            try
            {
                Transport.RestoreState(state);
            }
            finally
            {
                binding.Worker.Resume(kickAll: parked);
            }
        }
    }

    /// <summary>Unbinds and disposes the device model and its resources.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            Unbind();
            _disposed = true;
        }
        (_device as IDisposable)?.Dispose();
        _resources?.Dispose();
    }

    /// <summary>What one machine lent the function: MSI-X vectors, doorbell eventfds and their
    /// registrations, and the worker that serves them.</summary>
    private sealed class Binding : IDisposable
    {
        private readonly PciFunctionHost _host;
        private readonly VirtioPciFunction _transport;
        private readonly EventFd[] _triggers;
        private readonly MsixVectors _msix;
        private readonly EventFd[] _doorbells;
        private readonly VirtioQueueWorker _worker;

        public VirtioQueueWorker Worker => _worker;
        private readonly List<IDisposable> _registrations = [];

        public Binding(VirtioMachineFunction owner, PciFunctionHost host, VirtioPciFunction transport)
        {
            _host = host;
            _transport = transport;
            _triggers = new EventFd[transport.MsixVectorCount];
            _doorbells = new EventFd[transport.QueueCount];
            try
            {
                for (int v = 0; v < _triggers.Length; v++)
                {
                    _triggers[v] = EventFd.Create();
                }
                for (int q = 0; q < _doorbells.Length; q++)
                {
                    _doorbells[q] = EventFd.Create();
                }
                _msix = host.Interrupts.CreateMsix(host.RequesterId, new MsixTable(_triggers.Length), _triggers);
                // INTA# for a guest that leaves MSI-X off; the line stays low otherwise.
                KvmIrqLine intx = host.Interrupts.CreateLevelLine(host.IntxGsi);
                transport.Attach(host.Memory, _msix, intx.Set);
                _worker = new VirtioQueueWorker(owner.Id, transport, _doorbells, host.DeviceLost, owner._device as IVirtioHostEvents);
            }
            catch
            {
                _msix?.Dispose();
                DisposeAll(_triggers);
                DisposeAll(_doorbells);
                throw;
            }
        }

        public void Start() => _worker.Start();

        public void PlaceDoorbells(MmioAddress? bar)
        {
            DropDoorbells();
            if (bar is not MmioAddress at)
            {
                return;
            }
            for (int q = 0; q < _doorbells.Length; q++)
            {
                _registrations.Add(_host.AddIoEventFd(at.Value + VirtioPciFunction.QueueNotifyAddress(q), DoorbellWriteSize, null, _doorbells[q]));
            }
        }

        public void Dispose()
        {
            DropDoorbells();
            _worker.Dispose();
            _msix.Dispose();
            DisposeAll(_triggers);
            DisposeAll(_doorbells);
        }

        private void DropDoorbells()
        {
            foreach (IDisposable registration in _registrations)
            {
                registration.Dispose();
            }
            _registrations.Clear();
        }

        private static void DisposeAll(EventFd?[] fds)
        {
            foreach (EventFd? fd in fds)
            {
                fd?.Dispose();
            }
        }
    }

    /// <summary>What <see cref="Quiesce"/> returns: disposing it lets the worker serve again.</summary>
    private sealed class Resumption(VirtioQueueWorker? worker) : IDisposable
    {
        private VirtioQueueWorker? _worker = worker;

        public void Dispose() => Interlocked.Exchange(ref _worker, null)?.Resume();
    }
}
