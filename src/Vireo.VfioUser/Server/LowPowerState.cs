using Vireo.Sys;

namespace Vireo.VfioUser;

/// <summary>
/// The Vireo low-power extension (vfio.h VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY[_WITH_WAKEUP] /
/// LOW_POWER_EXIT over vfio-user): entering revokes the client's BAR mappings; any access through
/// the protocol wakes the device first. With a wake eventfd it stays awake and the eventfd fires
/// once; without one it goes back to low power after the access, mmaps still revoked.
/// </summary>
internal sealed class LowPowerState
{
    private readonly IVfioUserBackend _device;
    private readonly Action<string> _log;
    private bool _awakeForAccess;
    private EventFd? _wakeFd;

    public LowPowerState(IVfioUserBackend device, Action<string> log)
    {
        _device = device;
        _log = log;
    }

    public LowPowerMode Mode { get; private set; }

    public bool IsLowPower => Mode != LowPowerMode.Off;

    public VfioUserPowerCounts Counts { get; private set; }

    /// <summary>Device-initiated wake: only with a wake eventfd (without one the client opted out
    /// of wake notifications, and the policy is the client's, seed 002).</summary>
    public void RequestWake()
    {
        if (Mode == LowPowerMode.EnteredWithWakeup)
        {
            Exit(signal: true);
        }
    }

    public void WakeForAccess()
    {
        switch (Mode)
        {
            case LowPowerMode.EnteredWithWakeup:
                Exit(signal: true);
                break;
            case LowPowerMode.Entered when !_awakeForAccess:
                _awakeForAccess = true;
                _device.LowPowerChanged(false, mappingsRevoked: true);
                break;
        }
    }

    public void EndAccess()
    {
        if (_awakeForAccess)
        {
            _awakeForAccess = false;
            if (Mode == LowPowerMode.Entered)
            {
                _device.LowPowerChanged(true, mappingsRevoked: true);
            }
        }
    }

    public void Enter(LowPowerMode mode, EventFd? wake)
    {
        Mode = mode;
        _wakeFd = wake;
        Counts = mode == LowPowerMode.EnteredWithWakeup
            ? Counts with { EntriesWithWakeup = Counts.EntriesWithWakeup + 1 }
            : Counts with { Entries = Counts.Entries + 1 };
        _device.LowPowerChanged(true, mappingsRevoked: true);
    }

    public void Exit(bool signal)
    {
        if (Mode == LowPowerMode.Off)
        {
            return;
        }
        Mode = LowPowerMode.Off;
        Counts = Counts with { Exits = Counts.Exits + 1 };
        // The mappings are back before the client hears of the wake.
        _device.LowPowerChanged(false, mappingsRevoked: false);
        if (signal && _wakeFd is not null)
        {
            try
            {
                _wakeFd.Signal();
                Counts = Counts with { WakesSignalled = Counts.WakesSignalled + 1 };
            }
            catch (ErrnoException e)
            {
                _log($"wake eventfd: {e.Message}");
            }
        }
        DropWake();
    }

    /// <summary>The client left: its wake eventfd goes with it; the power state stays.</summary>
    public void DropWake()
    {
        _wakeFd?.Dispose();
        _wakeFd = null;
    }
}
