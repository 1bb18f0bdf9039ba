using Vireo.Sys;
using Vireo.VfioUser;

namespace Vireo.Vmm;

/// <summary>The device's own ACPI notification channel (seed 000: per device, never host-wide):
/// IRQ index 5 (<see cref="VfioIrqIndex.AcpiNotify"/>), which a vfio-user server offers when
/// both sides announce <c>vireo_acpi_notify</c> and a kernel only where it has the index. Each
/// eventfd value is one <see cref="AcpiNotification"/>: the server writes the next value only
/// once this side has read the last, so a burst arrives whole and in order.</summary>
public sealed partial class VfioPciFunction
{
    private readonly bool _hasAcpiNotify;
    private bool _acpiNotifyAtDevice;
    private EventFdWatch? _notifyWatch;

    /// <summary>Whether the device sends ACPI notify codes (IRQ index 5).</summary>
    public bool HasAcpiNotify => _hasAcpiNotify;

    /// <summary>Under the lock, at bind: gives the device an eventfd for index 5 and starts the
    /// thread that reads it.</summary>
    private void StartAcpiNotify(PciFunctionHost host)
    {
        if (!_hasAcpiNotify)
        {
            return;
        }
        var channel = EventFd.Create(nonBlocking: true);
        EventFd stop;
        try
        {
            _device.SetIrqEventFds(VfioIrqIndex.AcpiNotify, 0, [channel]);
            _acpiNotifyAtDevice = true;
            stop = EventFd.Create(nonBlocking: true);
        }
        catch
        {
            channel.Dispose();
            throw;
        }
        var watch = new EventFdWatch(channel, stop);
        _notifyWatch = watch;
        var thread = new Thread(() => ReadNotifications(watch, host))
        {
            Name = $"notify-{Id}",
            IsBackground = true,
        };
        thread.Start();
    }

    /// <summary>The notify thread: each value becomes one call on the host, in the device's
    /// order, until the watch is stopped. It owns the watch's eventfds and closes them as it ends.</summary>
    private static void ReadNotifications(EventFdWatch watch, PciFunctionHost host)
    {
        bool[] ready = new bool[2];
        try
        {
            while (true)
            {
                if (Poller.WaitAny([watch.Fd.Handle, watch.Stop.Handle], ready, Timeout.InfiniteTimeSpan) == 0)
                {
                    continue;
                }
                if (ready[1])
                {
                    return;
                }
                ulong value = watch.Fd.TryRead();
                if (value == 0)
                {
                    continue;
                }
                if (!AcpiNotification.TryDecode(value, out AcpiNotification notification))
                {
                    // Two values summed (a server that did not wait) or junk: at least one code is gone.
                    host.AcpiNotifyLost(1);
                }
                else if (notification.IsOverflow)
                {
                    host.AcpiNotifyLost(notification.Dropped);
                }
                else
                {
                    host.AcpiNotify(notification.Code);
                }
            }
        }
        finally
        {
            watch.Fd.Dispose();
            watch.Stop.Dispose();
        }
    }

    /// <summary>Under the lock, at unbind: the thread ends and the device forgets the eventfd.</summary>
    private void StopAcpiNotify()
    {
        if (_notifyWatch is EventFdWatch watch)
        {
            _notifyWatch = null;
            watch.Stop.Signal();
        }
        if (_acpiNotifyAtDevice)
        {
            _acpiNotifyAtDevice = false;
            try
            {
                if (IsAlive)
                {
                    _device.DisableIrqs(VfioIrqIndex.AcpiNotify);
                }
            }
            catch (Exception e) when (IsDeviceFailure(e))
            {
                // The machine is going; the next bind sets the index again or reports the device.
            }
        }
    }
}
