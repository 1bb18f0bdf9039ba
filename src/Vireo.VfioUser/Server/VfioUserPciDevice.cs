using Vireo.Pci;

namespace Vireo.VfioUser;

/// <summary>
/// Base for a PCI device served over vfio-user. The device owns its config space and BARs and
/// reacts to accesses; it never sees sockets: it reaches guest memory, interrupts and the client
/// through <see cref="Host"/>. Callbacks run on the server thread, one at a time.
/// </summary>
public abstract class VfioUserPciDevice : IDisposable
{
    private readonly PciBar?[] _bars = new PciBar?[6];
    private readonly List<IoEventFdDeclaration> _ioEventFds = [];
    private IVfioUserDeviceHost? _host;

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

    internal void Attach(IVfioUserDeviceHost host) => _host = host;

    /// <summary>Puts <paramref name="bar"/> at BAR <paramref name="index"/> and declares it in the config space; the device owns it from then on.</summary>
    protected void DefineBar(int index, PciBar bar)
    {
        _bars[index] = bar;
        Config.SetBar(index, bar);
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

    /// <summary>A trapped BAR read (or one outside the mmap areas of a shared-memory BAR).</summary>
    protected internal virtual void ReadBar(int bar, ulong offset, Span<byte> data) => data.Clear();

    /// <summary>A trapped BAR write (or one outside the mmap areas of a shared-memory BAR); ignored unless overridden.</summary>
    protected internal virtual void WriteBar(int bar, ulong offset, ReadOnlySpan<byte> data)
    {
    }

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

    /// <summary>The client moved the device into or out of low power (Vireo PM extension).</summary>
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
}
