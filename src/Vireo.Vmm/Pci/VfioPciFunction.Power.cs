using Vireo.Sys;
using Vireo.VfioUser;

namespace Vireo.Vmm;

/// <summary>Device low power (<see cref="IPowerManagedPciFunction"/>): the VFIO device features of
/// Linux 6.1 (LOW_POWER_ENTRY 3, LOW_POWER_ENTRY_WITH_WAKEUP 4, LOW_POWER_EXIT 5), which
/// vfio-user carries as DEVICE_FEATURE too.</summary>
public sealed partial class VfioPciFunction : IPowerManagedPciFunction
{
    private bool _lowPower;
    private bool _exitOwed;
    private bool _mappingsOwed;
    // Whether the current low-power entry handed the device the wake eventfd.
    private bool _wakeEntry;
    private bool _ejected;

    /// <inheritdoc/>
    public bool IsEjected => Volatile.Read(ref _ejected);

    /// <inheritdoc/>
    public void Eject()
    {
        lock (_gate)
        {
            if (_ejected)
            {
                return;
            }
            Volatile.Write(ref _ejected, true);
            // Unbound while the device still answers, as at any unbind: it is told to stop
            // signalling, leaves low power and loses its DMA maps.
            if (_host is not null)
            {
                ReleaseMachine();
            }
            // Lost before it is closed: an access racing the close fails quietly instead of
            // reporting a loss, and later ones never reach the device.
            Interlocked.CompareExchange(ref _lostReason, "ejected by the guest", null);
            Volatile.Write(ref _lost, 1);
            ReleaseRegions();
            CloseDevice();
        }
    }

    /// <inheritdoc/>
    public string PowerState => Volatile.Read(ref _lowPower) ? "low-power" : "active";

    /// <inheritdoc/>
    public bool EnterLowPower(bool armWake = true)
    {
        lock (_gate)
        {
            PciFunctionHost host = _host ?? throw new InvalidOperationException($"{Backend} device '{Id}' is not in a running machine");
            if (!IsAlive)
            {
                throw new InvalidOperationException($"{Backend} device '{Id}' is gone: {_lostReason}");
            }
            if (_lowPower)
            {
                return _wakeEntry;
            }
            bool canWake = Probe(DeviceFeatureId.LowPowerEntryWithWakeup);
            bool canEnter = Probe(DeviceFeatureId.LowPowerEntry);
            if (!canWake && !canEnter)
            {
                throw new InvalidOperationException($"{Backend} device '{Id}' does not support low power entry (VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY, Linux 6.1+)");
            }
            // Without a wake wanted, a device offering only the wakeup form still gets it: its
            // wake is then reported, never forwarded to a guest that did not arm one.
            bool withWakeup = canWake && (armWake || !canEnter);
            EventFd? wake = withWakeup ? _events?.Wake ?? throw new InvalidOperationException($"{Backend} device '{Id}' has no event thread") : null;
            // The device refuses mmap access while low: every access must trap (and wake it) first.
            host.TrapMappedAreas(true);
            try
            {
                if (wake is not null)
                {
                    // A signal left from an earlier entry (one the device sent after its exit) is not this one's wake.
                    wake.TryRead();
                    _device.LowPowerEntryWithWakeup(wake);
                    _wakeEntry = true;
                }
                else
                {
                    _device.LowPowerEntry();
                }
            }
            catch (Exception e) when (IsDeviceFailure(e))
            {
                host.TrapMappedAreas(false);
                throw new InvalidOperationException($"{Backend} device '{Id}' refused low power entry: {e.Message}", e);
            }
            Volatile.Write(ref _lowPower, true);
            _exitOwed = true;
            return _wakeEntry;
        }
    }

    /// <inheritdoc/>
    public void ExitLowPower()
    {
        lock (_gate)
        {
            // After a wake the kernel has left low power by itself, but the entry is still
            // closed with an exit, as the user of the entry owes one (the seed's protocol).
            if (!_exitOwed)
            {
                return;
            }
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
                throw new InvalidOperationException($"{Backend} device '{Id}' refused low power exit: {e.Message}", e);
            }
            LeaveLowPower();
        }
    }

    private bool Probe(DeviceFeatureId feature)
    {
        try
        {
            return _device.ProbeFeature(feature, DeviceFeatureFlags.Set);
        }
        catch (Exception e) when (IsDeviceFailure(e))
        {
            return false;
        }
    }

    /// <summary>Back to active, under the lock: a wake that comes now is not waited for, and the mapped areas return.</summary>
    private void LeaveLowPower()
    {
        _wakeEntry = false;
        Volatile.Write(ref _lowPower, false);
        _mappingsOwed = false;
        _host?.TrapMappedAreas(false);
    }

    /// <summary>On the events thread: the wake eventfd fired. If this binding's device is in a
    /// low-power entry with wakeup, the device has left low power by itself (mmap access works
    /// again): the host hears of it, then the mapped areas return. A signal with no such entry
    /// (a late one, or one an entry already drained) is dropped. The eventfd is read under the
    /// lock, so a value an entry drains can never be taken for that entry's wake.</summary>
    private void OnWakeSignalled(EventChannels events)
    {
        PciFunctionHost? woken = null;
        lock (_gate)
        {
            if (events.Wake.TryRead() == 0 || _events != events || !_lowPower || !_wakeEntry)
            {
                return;
            }
            _wakeEntry = false;
            Volatile.Write(ref _lowPower, false);
            _mappingsOwed = true;
            woken = _host;
        }
        // The wake is news first (a guest waiting for it gets its GPE), the mapped areas after:
        // putting KVM memory slots back costs far more than the report, and until then the
        // device's BARs still work, trapped.
        woken?.PowerChanged("active");
        lock (_gate)
        {
            // Not if the device went low again meanwhile (its areas must stay trapped).
            if (_mappingsOwed && !_lowPower)
            {
                _mappingsOwed = false;
                _host?.TrapMappedAreas(false);
            }
        }
    }
}
