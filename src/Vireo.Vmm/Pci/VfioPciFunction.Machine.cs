using Vireo.Memory;
using Vireo.Pci;
using Vireo.Sys;
using Vireo.VfioUser;

namespace Vireo.Vmm;

// The machine side: binding (DMA maps, vectors, ioeventfds) and the BAR accesses vCPUs make.
public sealed partial class VfioPciFunction
{
    /// <inheritdoc/>
    public void Bind(PciFunctionHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        lock (_gate)
        {
            if (_host is not null)
            {
                throw new InvalidOperationException($"{Backend} device '{Id}' is bound to a machine already");
            }
            if (!IsAlive)
            {
                throw new MachineBuildException($"{Backend} device '{Id}' is gone: {_lostReason}");
            }
            try
            {
                // A fresh device for every machine: a rebooted guest must not find the last one's state.
                if (_canReset)
                {
                    _device.Reset();
                }
                MapGuestMemory(host.Memory);
                CreateVectors(host);
                Volatile.Write(ref _host, host);
                // The reset cleared the server's Command register; the root bus has already set
                // the shadow (decoding on) for this machine.
                _device.WriteRegion(VfioRegionIndex.Config, PciConfigSpace.CommandOffset, _shadow.AsSpan(PciConfigSpace.CommandOffset, 2));
                ApplyInterrupts();
                StartEvents(host);
                for (int i = 0; i < BarCount; i++)
                {
                    RegisterIoEventFds(host, i);
                }
            }
            catch (Exception e) when (e is VireoException or TimeoutException or ObjectDisposedException)
            {
                ReleaseMachine();
                throw e as MachineBuildException ?? new MachineBuildException($"{Backend} device '{Id}' cannot be bound to the machine: {e.Message}", e);
            }
        }
    }

    /// <inheritdoc/>
    public void Unbind()
    {
        lock (_gate)
        {
            if (_host is null)
            {
                return;
            }
            ReleaseMachine();
        }
    }

    /// <inheritdoc/>
    public void ReadBar(int index, ulong offset, Span<byte> data)
    {
        if (!IsAlive)
        {
            data.Fill(0xff);
            return;
        }
        if (_msixLayout is { } m)
        {
            if (index == m.TableBar && offset - m.TableOffset < (ulong)m.TableLength)
            {
                data.Clear();
                if (_msix is MsixVectors vectors)
                {
                    vectors.ReadTable(offset - m.TableOffset, data);
                }
                else
                {
                    lock (_gate)
                    {
                        _msixTable!.Read(offset - m.TableOffset, data);
                    }
                }
                return;
            }
            if (index == m.PbaBar && offset - m.PbaOffset < (ulong)m.PbaLength)
            {
                data.Clear();
                _msix?.ReadPba(offset - m.PbaOffset, data);
                return;
            }
        }
        try
        {
            _device.ReadRegion((uint)index, offset, data);
        }
        catch (Exception e) when (IsDeviceFailure(e))
        {
            if (IsConnectionFailure(e))
            {
                Lose(e);
            }
            data.Fill(0xff);
        }
    }

    /// <inheritdoc/>
    public void WriteBar(int index, ulong offset, ReadOnlySpan<byte> data)
    {
        if (!IsAlive)
        {
            return;
        }
        if (_msixLayout is { } m)
        {
            if (index == m.TableBar && offset - m.TableOffset < (ulong)m.TableLength)
            {
                WriteMsixTable(offset - m.TableOffset, data);
                return;
            }
            if (index == m.PbaBar && offset - m.PbaOffset < (ulong)m.PbaLength)
            {
                // PCI 3.0 §6.8.2.10: the PBA is read-only.
                return;
            }
        }
        try
        {
            _device.WriteRegion((uint)index, offset, data);
        }
        catch (Exception e) when (IsConnectionFailure(e))
        {
            Lose(e);
        }
        catch (VfioUserException)
        {
            // The server refused this write (an error reply): dropped, as a bus drops a write nobody claims.
        }
    }

    /// <inheritdoc/>
    public void MemoryBarPlaced(int index, MmioAddress? address)
    {
        if ((uint)index >= BarCount)
        {
            return;
        }
        lock (_gate)
        {
            _placed[index] = address;
            if (_host is PciFunctionHost host)
            {
                RegisterIoEventFds(host, index);
            }
        }
    }

    private void WriteMsixTable(ulong offset, ReadOnlySpan<byte> data)
    {
        if (_msix is MsixVectors vectors)
        {
            try
            {
                vectors.WriteTable(offset, data);
            }
            catch (Exception e) when (e is VireoException or ObjectDisposedException)
            {
                // KVM refused the route the guest asked for: the vector cannot work.
                Lose(e);
            }
            return;
        }
        lock (_gate)
        {
            _msixTable!.Write(offset, data);
        }
    }

    /// <summary>Gives the device every guest RAM region, readable and writable: a server maps its
    /// memfd, the kernel pins the VMM's mapping.</summary>
    private void MapGuestMemory(GuestMemory memory)
    {
        foreach (GuestRegion region in memory.Regions)
        {
            if (region.Fd is null && _device.NeedsSharedMemory)
            {
                throw new MachineBuildException($"{Backend} device '{Id}' needs guest RAM shared with it, but RAM at {region.Start} is private memory (back it with a memfd)");
            }
            _device.MapDma(new VfioDmaRegion(region.Start.Value, region.Size, region.DangerousGetHostAddress(), region.Fd, 0));
            _dmaMapped.Add((region.Start.Value, region.Size));
        }
    }

    private void CreateVectors(PciFunctionHost host)
    {
        if (_msixLayout is { } x)
        {
            _msixTriggers = CreateEventFds(x.Vectors);
            _msix = host.Interrupts.CreateMsix(host.RequesterId, _msixTable!, _msixTriggers);
        }
        if (_msiLayout is { } m)
        {
            _msiTriggers = CreateEventFds(m.Vectors);
            _msi = host.Interrupts.CreateMsi(host.RequesterId, _msiTriggers);
        }
        if (_hasIntx)
        {
            _intx = host.Interrupts.CreateIntx(host.IntxGsi);
        }
    }

    private static EventFd[] CreateEventFds(int count)
    {
        var fds = new EventFd[count];
        for (int i = 0; i < count; i++)
        {
            fds[i] = EventFd.Create();
        }
        return fds;
    }

    /// <summary>Registers BAR <paramref name="index"/>'s server ioeventfds where the BAR now
    /// decodes, dropping those at its old place. KVM refusing one only costs speed: that write
    /// then traps and reaches the server as a region write.</summary>
    private void RegisterIoEventFds(PciFunctionHost host, int index)
    {
        DropIoEventFds(index);
        if (_placed[index] is not MmioAddress at || _regions[index] is not { IoEventFds.Count: > 0 } region)
        {
            return;
        }
        var registrations = new List<IDisposable>();
        foreach (BarIoEventFd fd in region.IoEventFds)
        {
            try
            {
                registrations.Add(host.AddIoEventFd(at.Value + fd.Offset, fd.Size, fd.DataMatch, fd.EventFd));
            }
            catch (VireoException)
            {
            }
        }
        _ioEventFdRegistrations[index] = registrations;
    }

    private void DropIoEventFds(int index)
    {
        if (_ioEventFdRegistrations[index] is not { } registrations)
        {
            return;
        }
        _ioEventFdRegistrations[index] = null;
        foreach (IDisposable registration in registrations)
        {
            try
            {
                registration.Dispose();
            }
            catch (VireoException)
            {
                // KVM no longer knowing an ioeventfd the VM is being torn down with is no reason to stop.
            }
        }
    }

    /// <summary>Undoes Bind (also a half-done one); never throws. The server is told to stop
    /// signalling and to drop its maps while it still answers; the shadow goes back to reset.</summary>
    private void ReleaseMachine()
    {
        StopEvents();
        if (_lowPower || _exitOwed)
        {
            // The next machine gets the device at full power, as a reset would leave it.
            _wakeEntry = false;
            Volatile.Write(ref _lowPower, false);
            _mappingsOwed = false;
            _exitOwed = false;
            try
            {
                if (IsAlive)
                {
                    _device.LowPowerExit();
                }
            }
            catch (Exception e) when (IsDeviceFailure(e))
            {
                // The reset at the next bind brings it back; nothing else to do for a machine that is going.
            }
        }
        for (int i = 0; i < BarCount; i++)
        {
            DropIoEventFds(i);
            _placed[i] = null;
        }
        if (IsAlive)
        {
            try
            {
                if (_msixAtServer)
                {
                    _device.DisableIrqs(VfioIrqIndex.Msix);
                }
                if (_msiAtServer)
                {
                    _device.DisableIrqs(VfioIrqIndex.Msi);
                }
                if (_intxAtServer)
                {
                    _device.DisableIrqs(VfioIrqIndex.Intx);
                }
                foreach ((ulong address, ulong size) in _dmaMapped)
                {
                    _device.UnmapDma(address, size);
                }
            }
            catch (Exception e) when (IsDeviceFailure(e))
            {
                // The machine is going away, so there is nobody to tell; the next Bind reports it.
                if (IsConnectionFailure(e))
                {
                    Interlocked.CompareExchange(ref _lostReason, e.Message, null);
                    Volatile.Write(ref _lost, 1);
                }
            }
        }
        _dmaMapped.Clear();
        _msixAtServer = _msiAtServer = _intxAtServer = _intxMaskedAtServer = false;
        DisposeQuietly(_msix);
        _msix = null;
        DisposeQuietly(_msi);
        _msi = null;
        DisposeQuietly(_intx);
        _intx = null;
        foreach (EventFd fd in _msixTriggers.Concat(_msiTriggers))
        {
            fd.Dispose();
        }
        _msixTriggers = [];
        _msiTriggers = [];
        _msixTable?.Reset();
        _shadowReset.CopyTo(_shadow, 0);
        Volatile.Write(ref _host, null);
    }

    private static void DisposeQuietly(IDisposable? disposable)
    {
        try
        {
            disposable?.Dispose();
        }
        catch (VireoException)
        {
            // KVM refusing to remove an irqfd of a VM being torn down changes nothing.
        }
    }
}
