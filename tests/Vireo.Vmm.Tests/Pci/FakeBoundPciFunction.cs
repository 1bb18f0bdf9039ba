using Vireo.Memory;
using Vireo.Pci;
using Vireo.Sys;
using Vireo.TestSupport;

namespace Vireo.Vmm.Tests;

/// <summary>
/// An <see cref="IMachineBoundPciFunction"/> for the builder's and the control loop's tests: the
/// echo function's config space and BARs, and a Bind that uses what the host gives as a real
/// backend would (an INTx resample line on its GSI and an ioeventfd on BAR 0, both real KVM
/// registrations), released again in Unbind. It records every bind and unbind and any failure
/// to release (which would mean the VM was gone before Unbind).
/// </summary>
internal sealed class FakeBoundPciFunction : IMachineBoundPciFunction, IDisposable
{
    private readonly EchoPciFunction _echo;
    private readonly List<string> _calls = [];
    private readonly List<PciFunctionHost> _hosts = [];
    private readonly List<Exception> _unbindErrors = [];
    private readonly EventFd _doorbell = EventFd.Create();
    private IntxResampleLine? _intx;
    private IDisposable? _ioEventFd;
    private volatile bool _alive = true;

    public FakeBoundPciFunction(string id = "fake0", bool needsSharedMemory = false)
    {
        _echo = new EchoPciFunction(id);
        NeedsSharedMemory = needsSharedMemory;
    }

    /// <summary>Makes Bind throw this instead of binding.</summary>
    public VireoException? BindFault { get; init; }

    /// <summary>A reason to report lost from inside Bind (a device that dies while the machine is built).</summary>
    public string? LoseDuringBind { get; init; }

    public string Id => _echo.Id;

    public IReadOnlyList<PciBarDescriptor> Bars => _echo.Bars;

    public int ConfigSize => _echo.ConfigSize;

    public string Backend => "fake";

    public bool NeedsSharedMemory { get; }

    public string InterruptMode => _intx is null ? "none" : "intx";

    public bool IsAlive => _alive;

    /// <summary>"bind" and "unbind", in order, and "bind-failed".</summary>
    public IReadOnlyList<string> Calls
    {
        get
        {
            lock (_calls)
            {
                return [.. _calls];
            }
        }
    }

    public IReadOnlyList<PciFunctionHost> Hosts
    {
        get
        {
            lock (_calls)
            {
                return [.. _hosts];
            }
        }
    }

    public IReadOnlyList<Exception> UnbindErrors => _unbindErrors;

    public PciFunctionHost? Host { get; private set; }

    public void Bind(PciFunctionHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        lock (_calls)
        {
            _hosts.Add(host);
            if (BindFault is not null)
            {
                _calls.Add("bind-failed");
                throw BindFault;
            }
            _calls.Add("bind");
        }
        Host = host;
        _intx = host.Interrupts.CreateIntx(host.IntxGsi);
        // Any address works for KVM; a real backend registers its BAR's doorbell offsets.
        _ioEventFd = host.AddIoEventFd(0xc000_0000 + ((ulong)host.Slot << 12), 4, null, _doorbell);
        if (LoseDuringBind is not null)
        {
            host.DeviceLost(LoseDuringBind);
        }
    }

    public void Unbind()
    {
        lock (_calls)
        {
            _calls.Add("unbind");
        }
        try
        {
            _ioEventFd?.Dispose();
            _intx?.Dispose();
        }
        catch (Exception e)
        {
            _unbindErrors.Add(e);
        }
        _ioEventFd = null;
        _intx = null;
        Host = null;
    }

    /// <summary>The device dies: the fake reports it (twice, as a sloppy backend might).</summary>
    public void Die(string reason)
    {
        _alive = false;
        PciFunctionHost host = Host ?? throw new InvalidOperationException("not bound");
        host.DeviceLost(reason);
        host.DeviceLost(reason);
    }

    public void ReadConfig(int offset, Span<byte> data) => _echo.ReadConfig(offset, data);

    public void WriteConfig(int offset, ReadOnlySpan<byte> data) => _echo.WriteConfig(offset, data);

    public void ReadBar(int index, ulong offset, Span<byte> data)
    {
        if (_alive)
        {
            _echo.ReadBar(index, offset, data);
        }
        else
        {
            data.Fill(0xff);
        }
    }

    public void WriteBar(int index, ulong offset, ReadOnlySpan<byte> data)
    {
        if (_alive)
        {
            _echo.WriteBar(index, offset, data);
        }
    }

    public MappedMemory MapArea(int index, PciMmapArea area) => _echo.MapArea(index, area);

    public void MemoryBarPlaced(int index, MmioAddress? address) => _echo.MemoryBarPlaced(index, address);

    public void Dispose() => _doorbell.Dispose();
}
