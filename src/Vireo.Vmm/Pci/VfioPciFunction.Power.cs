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
    private EventFdWatch? _watch;

    /// <inheritdoc/>
    public string PowerState => Volatile.Read(ref _lowPower) ? "low-power" : "active";

    /// <inheritdoc/>
    public void EnterLowPower(bool armWake = true)
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
                return;
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
            // The device refuses mmap access while low: every access must trap (and wake it) first.
            host.TrapMappedAreas(true);
            try
            {
                if (withWakeup)
                {
                    var wake = EventFd.Create(nonBlocking: true);
                    try
                    {
                        _device.LowPowerEntryWithWakeup(wake);
                    }
                    catch
                    {
                        wake.Dispose();
                        throw;
                    }
                    WatchWake(wake);
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

    /// <summary>Back to active, under the lock: the wake watcher stops and the mapped areas return.</summary>
    private void LeaveLowPower()
    {
        StopWakeWatcher();
        Volatile.Write(ref _lowPower, false);
        _mappingsOwed = false;
        _host?.TrapMappedAreas(false);
    }

    /// <summary>A thread that sleeps on the one-shot wake eventfd until the device wakes (the
    /// kernel has then left low power: mmap access works again) or the watch is stopped. The
    /// thread owns its two eventfds and closes them as it ends, so stopping never waits for it.</summary>
    private void WatchWake(EventFd wake)
    {
        var watch = new EventFdWatch(wake, EventFd.Create(nonBlocking: true));
        _watch = watch;
        var thread = new Thread(() =>
        {
            bool[] ready = new bool[2];
            while (Poller.WaitAny([watch.Fd.Handle, watch.Stop.Handle], ready, Timeout.InfiniteTimeSpan) == 0)
            {
            }
            PciFunctionHost? woken = null;
            if (ready[0] && !ready[1])
            {
                lock (_gate)
                {
                    if (_watch == watch && _lowPower)
                    {
                        StopWakeWatcher();
                        Volatile.Write(ref _lowPower, false);
                        _mappingsOwed = true;
                        woken = _host;
                    }
                }
            }
            watch.Fd.Dispose();
            watch.Stop.Dispose();
            // The wake is news first (a guest waiting for it gets its GPE), the mapped areas
            // after: putting KVM memory slots back costs far more than the report, and until
            // then the device's BARs still work, trapped.
            woken?.PowerChanged("active");
            if (woken is not null)
            {
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
        })
        {
            Name = $"wake-{Id}",
            IsBackground = true,
        };
        thread.Start();
    }

    /// <summary>Under the lock: the current watch, if any, is told to end.</summary>
    private void StopWakeWatcher()
    {
        if (_watch is EventFdWatch watch)
        {
            _watch = null;
            watch.Stop.Signal();
        }
    }

    /// <summary>A device eventfd a thread of this function sleeps on (the wake or the notify
    /// channel), and the eventfd that tells that thread to end; the thread owns and closes both.</summary>
    private sealed record EventFdWatch(EventFd Fd, EventFd Stop);
}
