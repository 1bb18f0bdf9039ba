using Vireo.Kvm;
using Vireo.Sys;

namespace Vireo.Vmm.Tests.Interrupts;

/// <summary>Records what the interrupt plumbing asks of KVM; like KVM, it refuses a second
/// irqfd on one eventfd and the removal of one that is not there.</summary>
internal sealed class FakeKvmInterrupts(uint gsiLimit = 4096, IReadOnlyList<KvmIrqRoutingEntry>? defaultRoutes = null, bool msiCarriesDeviceId = false) : IKvmInterrupts
{
    private readonly object _gate = new();
    private readonly Dictionary<EventFd, (uint Gsi, EventFd? Resample)> _irqfds = [];
    private readonly List<KvmIrqRoutingEntry[]> _tables = [];

    public uint GsiLimit => gsiLimit;

    public IReadOnlyList<KvmIrqRoutingEntry> DefaultRoutes { get; } = defaultRoutes ?? KvmDefaultIrqRouting.Entries;

    public bool MsiCarriesDeviceId => msiCarriesDeviceId;

    /// <summary>Every KVM_IRQ_LINE call, in order.</summary>
    public List<(uint Gsi, bool Level)> LineCalls { get; } = [];

    public void SetIrqLine(uint gsi, bool level)
    {
        lock (_gate)
        {
            LineCalls.Add((gsi, level));
        }
    }

    /// <summary>Makes the next SetGsiRouting fail as KVM does on a bad entry.</summary>
    public bool FailNextRouting { get; set; }

    public IReadOnlyList<KvmIrqRoutingEntry[]> Tables
    {
        get
        {
            lock (_gate)
            {
                return [.. _tables];
            }
        }
    }

    public KvmIrqRoutingEntry[] LastTable => Tables[^1];

    public void SetGsiRouting(ReadOnlySpan<KvmIrqRoutingEntry> table)
    {
        lock (_gate)
        {
            if (FailNextRouting)
            {
                FailNextRouting = false;
                throw new ErrnoException(Errno.EINVAL, "KVM_SET_GSI_ROUTING");
            }
            _tables.Add(table.ToArray());
        }
    }

    public void RegisterIrqfd(EventFd trigger, uint gsi, EventFd? resample = null)
    {
        lock (_gate)
        {
            if (!_irqfds.TryAdd(trigger, (gsi, resample)))
            {
                throw new ErrnoException(Errno.EBUSY, "KVM_IRQFD");
            }
        }
    }

    public void UnregisterIrqfd(EventFd trigger, uint gsi)
    {
        lock (_gate)
        {
            if (!_irqfds.TryGetValue(trigger, out var irqfd) || irqfd.Gsi != gsi)
            {
                throw new ErrnoException(Errno.ENOENT, "KVM_IRQFD deassign");
            }
            _irqfds.Remove(trigger);
        }
    }

    public (uint Gsi, EventFd? Resample)? IrqfdOf(EventFd trigger)
    {
        lock (_gate)
        {
            return _irqfds.TryGetValue(trigger, out var irqfd) ? irqfd : null;
        }
    }

    /// <summary>The irqfd on <paramref name="gsi"/> (its trigger and resample eventfds), if any.</summary>
    public (EventFd Trigger, EventFd? Resample)? IrqfdOnGsi(uint gsi)
    {
        lock (_gate)
        {
            foreach (KeyValuePair<EventFd, (uint Gsi, EventFd? Resample)> irqfd in _irqfds)
            {
                if (irqfd.Value.Gsi == gsi)
                {
                    return (irqfd.Key, irqfd.Value.Resample);
                }
            }
            return null;
        }
    }

    public int IrqfdCount
    {
        get
        {
            lock (_gate)
            {
                return _irqfds.Count;
            }
        }
    }
}
