namespace Vireo.VfioUser;

/// <summary>
/// Base for a PCI device served over vfio-user. The device owns its config space and BARs and
/// reacts to accesses; it never sees sockets: it reaches guest memory, interrupts and the client
/// through <see cref="Host"/>. Callbacks run on the server thread, one at a time.
/// </summary>
public abstract class VfioUserPciDevice : IDisposable
{
    private readonly PciBar?[] _bars = new PciBar?[6];
    private IVfioUserDeviceHost? _host;

    protected VfioUserPciDevice(PciConfigSpace config)
    {
        Config = config;
    }

    public PciConfigSpace Config { get; }

    public IReadOnlyList<PciBar?> Bars => _bars;

    /// <summary>BAR and offsets of the MSI-X table and PBA, which the server emulates.</summary>
    public int MsixTableBar { get; private set; } = -1;

    public ulong MsixTableOffset { get; private set; }

    public int MsixPbaBar { get; private set; } = -1;

    public ulong MsixPbaOffset { get; private set; }

    public IVfioUserDeviceHost Host => _host ?? throw new InvalidOperationException("the device is not attached to a server");

    /// <summary>Whether the device offers migration (DEVICE_FEATURE MIGRATION, STOP_COPY|PRE_COPY).</summary>
    public virtual bool SupportsMigration => false;

    internal void Attach(IVfioUserDeviceHost host) => _host = host;

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

    /// <summary>A trapped BAR read (or one outside the mmap areas of a shared-memory BAR).</summary>
    protected internal virtual void ReadBar(int bar, ulong offset, Span<byte> data) => data.Clear();

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

    protected internal virtual void MigrationStateChanged(MigrationState from, MigrationState to)
    {
    }

    /// <summary>The device state to migrate (STOP_COPY / PRE_COPY data).</summary>
    protected internal virtual byte[] SaveState() => [];

    protected internal virtual void LoadState(ReadOnlySpan<byte> state)
    {
    }

    /// <summary>The client went away: DMA maps and eventfds are gone, state stays.</summary>
    protected internal virtual void ClientDisconnected()
    {
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

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
