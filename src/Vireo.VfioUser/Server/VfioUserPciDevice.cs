using Vireo.Pci;

namespace Vireo.VfioUser;

/// <summary>
/// Base for a PCI function served over vfio-user: the <see cref="IVfioUserBackend"/> that
/// libvfio-user's PCI layer would be. It owns the config space, the BARs (trapped or shared
/// memory with mmap areas) and the MSI-X table and PBA, which it emulates; a subclass only
/// defines them and reacts to BAR accesses (<see cref="ReadBar"/>, <see cref="WriteBar"/>). It
/// never sees sockets: it reaches guest memory, interrupts and the client through
/// <see cref="Host"/>. Callbacks run on the server thread, one at a time.
/// </summary>
public abstract class VfioUserPciDevice : IVfioUserBackend, IDisposable
{
    private readonly PciBar?[] _bars = new PciBar?[6];
    private readonly List<IoEventFdDeclaration> _ioEventFds = [];
    // Config writes arrive on the serving thread; interrupts are raised from any device thread
    // and read the mode the guest enabled: the two meet here.
    private readonly Lock _configLock = new();
    // Low power cuts a shared-memory BAR's file to nothing (and back): a device thread copying
    // into the BAR at that moment would fault, so the two take turns.
    private readonly Lock _barMemoryLock = new();
    private DeviceHost? _host;
    private MsixTable? _msixTable;
    private bool _mappingsRevoked;

    /// <summary>A device with <paramref name="config"/>; the subclass's constructor defines BARs and capabilities and then seals the config space.</summary>
    protected VfioUserPciDevice(PciConfigSpace config)
    {
        Config = config;
    }

    /// <summary>The device's config space, which the server reads and writes for REGION_READ/WRITE of the config region.</summary>
    public PciConfigSpace Config { get; }

    /// <summary>The six BARs; null where none is defined.</summary>
    public IReadOnlyList<PciBar?> Bars => _bars;

    /// <summary>BAR and offsets of the MSI-X table and PBA, which the server emulates.</summary>
    public int MsixTableBar { get; private set; } = -1;

    /// <summary>The MSI-X table's offset in <see cref="MsixTableBar"/>.</summary>
    public ulong MsixTableOffset { get; private set; }

    /// <summary>The BAR holding the MSI-X PBA; -1 without MSI-X.</summary>
    public int MsixPbaBar { get; private set; } = -1;

    /// <summary>The PBA's offset in <see cref="MsixPbaBar"/>.</summary>
    public ulong MsixPbaOffset { get; private set; }

    /// <summary>The ioeventfds the server offers in GET_REGION_IO_FDS, in declaration order.</summary>
    public IReadOnlyList<IoEventFdDeclaration> IoEventFds => _ioEventFds;

    /// <summary>The server the device is attached to.</summary>
    /// <exception cref="InvalidOperationException">No server has been created for the device yet.</exception>
    public IVfioUserDeviceHost Host => _host ?? throw new InvalidOperationException("the device is not attached to a server");

    /// <summary>Whether the device offers migration (DEVICE_FEATURE MIGRATION, STOP_COPY|PRE_COPY).</summary>
    public virtual bool SupportsMigration => false;

    void IVfioUserBackend.Attach(IVfioUserBackendContext context) => _host = new DeviceHost(this, context);

    /// <summary>Puts <paramref name="bar"/> at BAR <paramref name="index"/> and declares it in the config space; the device owns it from then on.</summary>
    protected void DefineBar(int index, PciBar bar)
    {
        _bars[index] = bar;
        Config.SetBar(index, bar);
    }

    /// <summary>Whether the guest enabled MSI-X (Message Control bit 15), read safely from any thread.</summary>
    protected bool MsixEnabled
    {
        get
        {
            lock (_configLock)
            {
                return Config.MsixEnabled;
            }
        }
    }

    /// <summary>Reads a shared-memory BAR's memory from any device thread (a DMA engine), safely
    /// against the low-power revocation that cuts the BAR's file.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is outside the BAR.</exception>
    protected void ReadBarMemory(int bar, ulong offset, Span<byte> destination)
    {
        PciBar pciBar = _bars[bar] ?? throw new ArgumentException($"BAR {bar} is not defined", nameof(bar));
        lock (_barMemoryLock)
        {
            pciBar.ReadMemory(offset, destination);
        }
    }

    /// <summary>Writes a shared-memory BAR's memory from any device thread, as <see cref="ReadBarMemory"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is outside the BAR.</exception>
    protected void WriteBarMemory(int bar, ulong offset, ReadOnlySpan<byte> source)
    {
        PciBar pciBar = _bars[bar] ?? throw new ArgumentException($"BAR {bar} is not defined", nameof(bar));
        lock (_barMemoryLock)
        {
            pciBar.WriteMemory(offset, source);
        }
    }

    /// <summary>Adds an MSI-X capability whose table and PBA live in the given BARs.</summary>
    protected void DefineMsix(int vectors, int tableBar, uint tableOffset, int pbaBar, uint pbaOffset)
    {
        Config.AddMsix(vectors, tableBar, tableOffset, pbaBar, pbaOffset);
        MsixTableBar = tableBar;
        MsixTableOffset = tableOffset;
        MsixPbaBar = pbaBar;
        MsixPbaOffset = pbaOffset;
    }

    /// <summary>Declares an ioeventfd: the server hands the client an eventfd for this write
    /// (GET_REGION_IO_FDS), which a VMM registers with KVM_IOEVENTFD so a guest write there only
    /// signals it. Each signal reaches <see cref="WriteBar"/> as that write — the datamatch value,
    /// or zeros without datamatch (the value is then unknown, so the register must not depend on
    /// it). An eventfd adds up signals, so writes the server has not yet seen arrive as one.
    /// Declare after the BAR (and MSI-X); the range must be trapped (KVM never sees accesses to
    /// mmap'd areas) and outside the MSI-X table and PBA.</summary>
    protected void DefineIoEventFd(int bar, ulong offset, int size, ulong? dataMatch = null)
    {
        if (bar is < 0 or > 5 || _bars[bar] is not PciBar pciBar)
        {
            throw new ArgumentException($"BAR {bar} is not defined", nameof(bar));
        }
        if (size is not (1 or 2 or 4 or 8))
        {
            // linux/kvm.h KVM_IOEVENTFD: len is 1, 2, 4 or 8 (0 only for virtio-ccw/fast MMIO).
            throw new ArgumentException($"ioeventfd size {size} is not 1, 2, 4 or 8", nameof(size));
        }
        if (offset > pciBar.Size || (ulong)size > pciBar.Size - offset)
        {
            throw new ArgumentException($"ioeventfd {offset:x}+{size} is outside BAR {bar}", nameof(offset));
        }
        if (dataMatch is ulong value && size < 8 && value >> (size * 8) != 0)
        {
            throw new ArgumentException($"datamatch {value:x} does not fit {size} bytes", nameof(dataMatch));
        }
        foreach (PciMmapArea area in pciBar.IsSharedMemory ? pciBar.MmapAreas : [])
        {
            if (offset < area.Offset + area.Size && area.Offset < offset + (ulong)size)
            {
                throw new ArgumentException($"ioeventfd {offset:x}+{size} lies in an mmap area of BAR {bar}", nameof(offset));
            }
        }
        if ((bar == MsixTableBar && Overlaps(offset, size, MsixTableOffset, (ulong)Config.MsixVectors * 16))
            || (bar == MsixPbaBar && Overlaps(offset, size, MsixPbaOffset, (ulong)((Config.MsixVectors + 63) / 64 * 8))))
        {
            throw new ArgumentException($"ioeventfd {offset:x}+{size} lies in the MSI-X table or PBA", nameof(offset));
        }
        foreach (IoEventFdDeclaration other in _ioEventFds)
        {
            // KVM's collision rule: same address and length, and either matches any value or
            // both match the same one.
            if (other.Bar == bar && other.Offset == offset && other.Size == size
                && (other.DataMatch is null || dataMatch is null || other.DataMatch == dataMatch))
            {
                throw new ArgumentException($"ioeventfd {offset:x}+{size} collides with one declared before", nameof(offset));
            }
        }
        _ioEventFds.Add(new IoEventFdDeclaration(bar, offset, size, dataMatch));
    }

    private static bool Overlaps(ulong offset, int size, ulong start, ulong length)
        => length != 0 && offset < start + length && start < offset + (ulong)size;

    ulong IVfioUserBackend.RegionSize(uint region) => region switch
    {
        <= VfioRegionIndex.Bar5 => _bars[(int)region]?.Size ?? 0,
        VfioRegionIndex.Config => (ulong)Config.Size,
        _ => 0,
    };

    VfioUserRegionMapping? IVfioUserBackend.RegionMapping(uint region)
        => region <= VfioRegionIndex.Bar5 && _bars[(int)region] is { IsSharedMemory: true } bar
            ? new VfioUserRegionMapping(bar.MemoryFd!, [.. bar.MmapAreas.Select(a => new SparseMmapArea(a.Offset, a.Size))])
            : null;

    int IVfioUserBackend.IrqCount(VfioIrqIndex index) => index switch
    {
        VfioIrqIndex.Intx => Math.Min(Config.ReadU16(PciConfigSpace.InterruptPinOffset) & 0xff, 1),
        VfioIrqIndex.Msi => Config.MsiVectors,
        VfioIrqIndex.Msix => Config.MsixVectors,
        _ => 0,
    };

    // Only the Function Mask holds vectors back: VMMs such as QEMU emulate the MSI-X table
    // themselves and never forward its writes, so the per-vector bits here would stay masked
    // forever; they mask through SET_IRQS ACTION_MASK instead, as with kernel VFIO.
    // INTx is held back by the Command register's Interrupt Disable and, as PCI 3.0 §6.8 has
    // it, whenever MSI or MSI-X is enabled; lifting either delivers what waits.
    bool IVfioUserBackend.IsIrqMasked(VfioIrqIndex index, int vector) => index switch
    {
        VfioIrqIndex.Msix => Config.MsixFunctionMasked,
        VfioIrqIndex.Intx => Config.IntxDisabled || Config.MsiEnabled || Config.MsixEnabled,
        _ => false,
    };

    void IVfioUserBackend.RegionRead(uint region, ulong offset, Span<byte> data)
    {
        if (region == VfioRegionIndex.Config)
        {
            Config.Read((int)offset, data);
            return;
        }
        int bar = (int)region;
        if (TryMsixRead(bar, offset, data))
        {
            return;
        }
        PciBar pciBar = _bars[bar] ?? throw new ArgumentException($"BAR {bar} is not defined", nameof(region));
        if (pciBar.IsSharedMemory && pciBar.IsInMmapArea(offset, (ulong)data.Length))
        {
            pciBar.ReadMemory(offset, data);
            return;
        }
        ReadBar(bar, offset, data);
    }

    void IVfioUserBackend.RegionWrite(uint region, ulong offset, ReadOnlySpan<byte> data)
    {
        if (region == VfioRegionIndex.Config)
        {
            WriteConfig((int)offset, data);
            return;
        }
        int bar = (int)region;
        if (TryMsixWrite(bar, offset, data))
        {
            return;
        }
        PciBar pciBar = _bars[bar] ?? throw new ArgumentException($"BAR {bar} is not defined", nameof(region));
        if (pciBar.IsSharedMemory && pciBar.IsInMmapArea(offset, (ulong)data.Length))
        {
            pciBar.WriteMemory(offset, data);
            return;
        }
        WriteBar(bar, offset, data);
    }

    void IVfioUserBackend.Reset()
    {
        lock (_configLock)
        {
            Config.Reset();
        }
        _msixTable?.Reset();
        Reset();
    }

    void IVfioUserBackend.LowPowerChanged(bool lowPower, bool mappingsRevoked)
    {
        if (mappingsRevoked != _mappingsRevoked)
        {
            // Entering low power revokes the client's mmaps of the BARs (the files are cut to
            // nothing, so a mapping faults); leaving it puts them back.
            _mappingsRevoked = mappingsRevoked;
            lock (_barMemoryLock)
            {
                foreach (PciBar? bar in _bars)
                {
                    if (mappingsRevoked)
                    {
                        bar?.Revoke();
                    }
                    else
                    {
                        bar?.Reinstate();
                    }
                }
            }
        }
        LowPowerChanged(lowPower);
    }

    bool IVfioUserBackend.IntxAsserted => IntxAsserted;

    void IVfioUserBackend.MigrationStateChanged(MigrationState from, MigrationState to) => MigrationStateChanged(from, to);

    byte[] IVfioUserBackend.SaveState() => SaveState();

    void IVfioUserBackend.LoadState(ReadOnlySpan<byte> state) => LoadState(state);

    void IVfioUserBackend.ClientDisconnected() => ClientDisconnected();

    private void WriteConfig(int offset, ReadOnlySpan<byte> data)
    {
        PciPowerState before;
        PciPowerState after;
        lock (_configLock)
        {
            before = Config.PowerState;
            Config.Write(offset, data);
            after = Config.PowerState;
        }
        ConfigWritten(offset, data.Length);
        if (after != before)
        {
            PowerStateChanged(after);
        }
        // The guest may have lifted the MSI-X Function Mask or INTx Interrupt Disable.
        Host.DeliverPendingIrqs();
    }

    private MsixTable MsixTable => _msixTable ??= new MsixTable(Config.MsixVectors);

    private bool InMsixTable(int bar, ulong offset) => Config.MsixVectors != 0 && bar == MsixTableBar
        && offset >= MsixTableOffset && offset - MsixTableOffset < (ulong)(Config.MsixVectors * MsixTable.EntrySize);

    private bool InMsixPba(int bar, ulong offset) => Config.MsixVectors != 0 && bar == MsixPbaBar
        && offset >= MsixPbaOffset && offset - MsixPbaOffset < (ulong)MsixTable.PbaLengthFor(Config.MsixVectors);

    private bool TryMsixRead(int bar, ulong offset, Span<byte> data)
    {
        if (InMsixTable(bar, offset))
        {
            MsixTable.Read(offset - MsixTableOffset, data);
            return true;
        }
        if (InMsixPba(bar, offset))
        {
            MsixTable.ReadPba(Config.MsixVectors, offset - MsixPbaOffset, data, v => Host.IsIrqPending(VfioIrqIndex.Msix, v));
            return true;
        }
        return false;
    }

    private bool TryMsixWrite(int bar, ulong offset, ReadOnlySpan<byte> data)
    {
        if (InMsixTable(bar, offset))
        {
            MsixTable.Write(offset - MsixTableOffset, data);
            Host.DeliverPendingIrqs();
            return true;
        }
        // PCI 3.0 §6.8.2.10: the PBA is read-only; writes are ignored.
        return InMsixPba(bar, offset);
    }

    /// <summary>A trapped BAR read (or one outside the mmap areas of a shared-memory BAR).</summary>
    protected internal virtual void ReadBar(int bar, ulong offset, Span<byte> data) => data.Clear();

    /// <summary>A trapped BAR write (or one outside the mmap areas of a shared-memory BAR); ignored unless overridden.</summary>
    protected internal virtual void WriteBar(int bar, ulong offset, ReadOnlySpan<byte> data)
    {
    }

    /// <summary>The level of the INTx line for a level-triggered device: read by the server
    /// under its lock (so compute it from fields read atomically, without locks), after
    /// <see cref="IVfioUserBackendContext.IntxChanged"/> and at every unmask. Interrupt Disable
    /// and MSI/MSI-X enable hold it back. False unless overridden.</summary>
    protected virtual bool IntxAsserted => false;

    /// <summary>After a config write; <paramref name="offset"/> and length say what changed.</summary>
    protected internal virtual void ConfigWritten(int offset, int length)
    {
    }

    /// <summary>DEVICE_RESET (the config space has already been reset).</summary>
    protected internal virtual void Reset()
    {
    }

    /// <summary>The guest wrote a new PMCSR power state.</summary>
    protected internal virtual void PowerStateChanged(PciPowerState state)
    {
    }

    /// <summary>The client moved the device into or out of low power (Vireo PM extension); its
    /// BAR mappings are already revoked or back.</summary>
    protected internal virtual void LowPowerChanged(bool lowPower)
    {
    }

    /// <summary>The client moved the device from <paramref name="from"/> to <paramref name="to"/>.</summary>
    protected internal virtual void MigrationStateChanged(MigrationState from, MigrationState to)
    {
    }

    /// <summary>The device state to migrate (STOP_COPY / PRE_COPY data).</summary>
    protected internal virtual byte[] SaveState() => [];

    /// <summary>Restores what <see cref="SaveState"/> produced (RESUMING data); throw to refuse it.</summary>
    protected internal virtual void LoadState(ReadOnlySpan<byte> state)
    {
    }

    /// <summary>The client went away: DMA maps and eventfds are gone, state stays.</summary>
    protected internal virtual void ClientDisconnected()
    {
    }

    /// <summary>Disposes the device and its BARs.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the BARs; a subclass that overrides it calls the base.</summary>
    /// <param name="disposing">True when called from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (PciBar? bar in _bars)
            {
                bar?.Dispose();
            }
        }
    }

    /// <summary>The server's context with interrupts routed by the mode the guest enabled.</summary>
    private sealed class DeviceHost(VfioUserPciDevice device, IVfioUserBackendContext context) : IVfioUserDeviceHost
    {
        public bool IsLowPower => context.IsLowPower;

        public bool Interrupt(int vector)
        {
            VfioIrqIndex index;
            lock (device._configLock)
            {
                PciConfigSpace config = device.Config;
                if (config.MsixEnabled)
                {
                    index = VfioIrqIndex.Msix;
                }
                else if (config.MsiEnabled)
                {
                    index = VfioIrqIndex.Msi;
                }
                else if (config.IntxDisabled)
                {
                    return false;
                }
                else
                {
                    index = VfioIrqIndex.Intx;
                    vector = 0;
                }
            }
            return context.TriggerIrq(index, vector);
        }

        public void DmaRead(ulong address, Span<byte> destination) => context.DmaRead(address, destination);

        public void DmaWrite(ulong address, ReadOnlySpan<byte> source) => context.DmaWrite(address, source);

        public bool TriggerIrq(VfioIrqIndex index, int subIndex) => context.TriggerIrq(index, subIndex);

        public void IntxChanged() => context.IntxChanged();

        public bool IsIrqPending(VfioIrqIndex index, int subIndex) => context.IsIrqPending(index, subIndex);

        public void DeliverPendingIrqs() => context.DeliverPendingIrqs();

        public void NotifyAcpi(byte code) => context.NotifyAcpi(code);

        public void RequestWake() => context.RequestWake();
    }
}
