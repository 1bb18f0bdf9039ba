using Vireo.Kvm;

namespace Vireo.Vmm;

/// <summary>
/// Owns the VM's GSI routing table. KVM_SET_GSI_ROUTING replaces the whole table, so this is
/// the one place that writes it: the irqchip's default routes
/// (<see cref="IKvmInterrupts.DefaultRoutes"/>: the PC's PIC/IOAPIC pins, the arm64 vGIC's SPIs)
/// followed by one MSI route per allocated GSI. MSI GSIs come from [<see cref="FirstMsiGsi"/>,
/// the KVM limit), above the irqchip pins that <see cref="PlatformResources"/> hands to INTx. Changes are staged and reach KVM with one
/// ioctl per <see cref="Commit"/>, and only if the table changed.
/// </summary>
/// <remarks>
/// Called from vCPU threads (a guest's MSI/MSI-X capability or table write, through
/// <see cref="MsixVectors"/> and <see cref="MsiVectors"/>) and from the thread that attaches or
/// detaches a device; one lock serialises staging and the ioctl, so KVM never receives an older
/// table after a newer one. A commit KVM rejects rolls the staged changes back to the table KVM
/// has, so one bad change cannot poison later commits.
/// </remarks>
public sealed class GsiRouter
{
    private readonly IKvmInterrupts _kvm;
    private readonly IReadOnlyList<KvmIrqRoutingEntry> _defaults;
    private readonly object _gate = new();
    private readonly bool[] _allocated;
    private SortedDictionary<uint, MsiRoute> _staged = [];
    private SortedDictionary<uint, MsiRoute> _committed = [];
    private int _commits;

    /// <summary>A router over <paramref name="kvm"/> whose MSI GSIs start at
    /// <paramref name="firstMsiGsi"/>, by default just above the irqchip's pins (a PC's 24
    /// IOAPIC pins; the arm64 vGIC's SPIs).</summary>
    public GsiRouter(IKvmInterrupts kvm, uint? firstMsiGsi = null)
    {
        ArgumentNullException.ThrowIfNull(kvm);
        IrqchipPins = kvm.DefaultRoutes.Count == 0 ? 0 : kvm.DefaultRoutes.Max(r => r.Gsi) + 1;
        uint first = firstMsiGsi ?? IrqchipPins;
        if (first < IrqchipPins || first >= kvm.GsiLimit)
        {
            throw new ArgumentOutOfRangeException(nameof(firstMsiGsi), first, $"MSI GSIs must lie between the irqchip's pins (0-{IrqchipPins - 1}) and the KVM limit ({kvm.GsiLimit})");
        }
        _kvm = kvm;
        _defaults = kvm.DefaultRoutes;
        FirstMsiGsi = first;
        _allocated = new bool[kvm.GsiLimit - first];
    }

    /// <summary>The lowest GSI handed out for MSI.</summary>
    public uint FirstMsiGsi { get; }

    /// <summary>How many GSIs the irqchip's default routes take (0 up to this, exclusive): the
    /// lines INTx and the platform's devices may use.</summary>
    public uint IrqchipPins { get; }

    /// <summary>How many KVM_SET_GSI_ROUTING calls this router has made (for tests and
    /// diagnostics: a batch of changes is one).</summary>
    public int Commits
    {
        get
        {
            lock (_gate)
            {
                return _commits;
            }
        }
    }

    /// <summary>The lowest free MSI GSI. Its route is absent until <see cref="SetMsiRoute"/>.
    /// Throws <see cref="ResourceConflictException"/> when every GSI up to the KVM limit is taken.</summary>
    public uint AllocateMsiGsi()
    {
        lock (_gate)
        {
            int index = Array.IndexOf(_allocated, false);
            if (index < 0)
            {
                throw new ResourceConflictException($"no free MSI GSI: all {_allocated.Length} of {FirstMsiGsi}-{FirstMsiGsi + (uint)_allocated.Length - 1} are routed");
            }
            _allocated[index] = true;
            return FirstMsiGsi + (uint)index;
        }
    }

    /// <summary>Frees <paramref name="gsi"/> and stages the removal of its route. The caller
    /// must have removed its irqfd first, or a signal could reach the GSI's next owner.</summary>
    public void ReleaseMsiGsi(uint gsi)
    {
        lock (_gate)
        {
            CheckAllocated(gsi);
            _allocated[gsi - FirstMsiGsi] = false;
            _staged.Remove(gsi);
        }
    }

    /// <summary>Stages the route that makes allocated <paramref name="gsi"/> send the message
    /// (<paramref name="address"/>, <paramref name="data"/>) from the PCI function whose requester
    /// ID (bus, device, function) is <paramref name="requesterId"/>; the route carries the ID only
    /// where the irqchip translates MSIs by device (<see cref="IKvmInterrupts.MsiCarriesDeviceId"/>).
    /// The same route again stages nothing.</summary>
    public void SetMsiRoute(uint gsi, ulong address, uint data, ushort requesterId = 0)
    {
        lock (_gate)
        {
            CheckAllocated(gsi);
            var route = new MsiRoute(address, data, requesterId);
            if (_staged.TryGetValue(gsi, out MsiRoute staged) && staged == route)
            {
                return;
            }
            _staged[gsi] = route;
        }
    }

    /// <summary>Sends the staged table to KVM in one KVM_SET_GSI_ROUTING if it differs from
    /// what KVM has; throws <see cref="Sys.ErrnoException"/> (and rolls back) if KVM refuses it.</summary>
    public void Commit()
    {
        lock (_gate)
        {
            if (SameRoutes(_staged, _committed))
            {
                return;
            }
            try
            {
                _kvm.SetGsiRouting(BuildTable(_staged));
                _committed = new SortedDictionary<uint, MsiRoute>(_staged);
                _commits++;
            }
            catch
            {
                _staged = new SortedDictionary<uint, MsiRoute>(_committed);
                throw;
            }
        }
    }

    /// <summary>The table KVM has now: the default irqchip routes, then MSI routes by GSI.</summary>
    public IReadOnlyList<KvmIrqRoutingEntry> CommittedTable
    {
        get
        {
            lock (_gate)
            {
                return BuildTable(_committed);
            }
        }
    }

    private KvmIrqRoutingEntry[] BuildTable(SortedDictionary<uint, MsiRoute> msi)
    {
        IReadOnlyList<KvmIrqRoutingEntry> defaults = _defaults;
        var table = new KvmIrqRoutingEntry[defaults.Count + msi.Count];
        int i = 0;
        foreach (KvmIrqRoutingEntry entry in defaults)
        {
            table[i++] = entry;
        }
        foreach ((uint gsi, MsiRoute route) in msi)
        {
            table[i++] = KvmIrqRoutingEntry.ForMsi(gsi, route.Address, route.Data, _kvm.MsiCarriesDeviceId ? route.RequesterId : null);
        }
        return table;
    }

    private static bool SameRoutes(SortedDictionary<uint, MsiRoute> a, SortedDictionary<uint, MsiRoute> b) =>
        a.Count == b.Count && a.All(pair => b.TryGetValue(pair.Key, out var route) && route == pair.Value);

    private void CheckAllocated(uint gsi)
    {
        if (gsi < FirstMsiGsi || gsi - FirstMsiGsi >= (uint)_allocated.Length || !_allocated[gsi - FirstMsiGsi])
        {
            throw new InvalidOperationException($"GSI {gsi} is not an allocated MSI GSI");
        }
    }
}

/// <summary>One MSI route as the router keeps it: the message and who sends it.</summary>
internal readonly record struct MsiRoute(ulong Address, uint Data, ushort RequesterId);
