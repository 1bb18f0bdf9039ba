using Vireo.Sys;
using Vireo.VfioUser;

namespace Vireo.Vmm;

/// <summary>The device's own event channels, read by one thread per bound function (named
/// <c>events-ID</c>) that lives as long as the binding:
/// <list type="bullet">
/// <item>the wake eventfd every LOW_POWER_ENTRY_WITH_WAKEUP of this binding hands the device
/// (seed 002: one-shot per entry; the same eventfd goes with each entry, drained first);</item>
/// <item>the ACPI notification channel (seed 000: per device, never host-wide): IRQ index 5
/// (<see cref="VfioIrqIndex.AcpiNotify"/>), which a vfio-user server offers when both sides
/// announce <c>vireo_acpi_notify</c> and a kernel only where it has the index. Each eventfd
/// value is one <see cref="AcpiNotification"/>: the server writes the next value only once this
/// side has read the last, so a burst arrives whole and in order.</item>
/// </list>
/// A thread that already sleeps on the eventfd is what makes a wake cheap: one created per
/// low-power entry started each wake cold (in the nested lab the scheduler let the waker's
/// spinning caller finish its slice before the new thread ran, 41 exit costs).</summary>
public sealed partial class VfioPciFunction
{
    /// <summary>How often the events thread looks at a held notify channel again while the
    /// guest's mailbox is full.</summary>
    public static readonly TimeSpan NotifyRecheck = TimeSpan.FromMilliseconds(10);

    private readonly bool _hasAcpiNotify;
    private bool _acpiNotifyAtDevice;
    private EventChannels? _events;

    /// <summary>Whether the device sends ACPI notify codes (IRQ index 5).</summary>
    public bool HasAcpiNotify => _hasAcpiNotify;

    /// <summary>Under the lock, at bind: the binding's wake eventfd, the notify channel at the
    /// device (IRQ index 5) where it has one, and the thread that reads both.</summary>
    private void StartEvents(PciFunctionHost host)
    {
        var stop = EventFd.Create(nonBlocking: true);
        EventFd? wake = null;
        EventFd? notify = null;
        try
        {
            wake = EventFd.Create(nonBlocking: true);
            if (_hasAcpiNotify)
            {
                notify = EventFd.Create(nonBlocking: true);
                _device.SetIrqEventFds(VfioIrqIndex.AcpiNotify, 0, [notify]);
                _acpiNotifyAtDevice = true;
            }
        }
        catch
        {
            stop.Dispose();
            wake?.Dispose();
            notify?.Dispose();
            throw;
        }
        var events = new EventChannels(wake, notify, stop);
        _events = events;
        var thread = new Thread(() => ReadEvents(events, host))
        {
            Name = $"events-{Id}",
            IsBackground = true,
        };
        thread.Start();
    }

    /// <summary>The events thread: a wake or a notification becomes one call on the host, in the
    /// device's order, until the channels are stopped. It owns the eventfds and closes them as it
    /// ends, so stopping never waits for it.</summary>
    private void ReadEvents(EventChannels events, PciFunctionHost host)
    {
        // A wake puts the device's BAR slots back in KVM (KVM_SET_USER_MEMORY_REGION), as a
        // vCPU's access to the device would: the vCPU kind's list, not a device thread's.
        VmmConfinement.EnterThread(VmmThreadKind.Vcpu);
        SafeFd[] fds = events.Notify is EventFd notify ? [events.Stop.Handle, events.Wake.Handle, notify.Handle] : [events.Stop.Handle, events.Wake.Handle];
        bool[] ready = new bool[fds.Length];
        // While the guest's mailbox is full the channel is left unread (holding): the device keeps
        // its codes, as a masked INTx waits for the guest's EOI, and the channel is looked at again
        // every NotifyRecheck. A device storming codes at a guest that does not read them costs
        // this thread a hundred wakes a second, not one (and an event) per code.
        bool holding = false;
        try
        {
            while (true)
            {
                int count = Poller.WaitAny(holding ? fds.AsSpan(0, 2) : fds, ready, holding ? NotifyRecheck : Timeout.InfiniteTimeSpan);
                if (count > 0 && ready[0])
                {
                    return;
                }
                if (count > 0 && ready[1])
                {
                    OnWakeSignalled(events);
                }
                if (events.Notify is EventFd channel && (holding || (count > 0 && ready[2])))
                {
                    holding = !host.AcpiNotifyRoom();
                    if (!holding)
                    {
                        ReadNotification(channel, host);
                    }
                }
                Array.Clear(ready);
            }
        }
        finally
        {
            events.Stop.Dispose();
            events.Wake.Dispose();
            events.Notify?.Dispose();
        }
    }

    /// <summary>One value from the notify channel, decoded and handed to the host.</summary>
    private static void ReadNotification(EventFd channel, PciFunctionHost host)
    {
        ulong value = channel.TryRead();
        if (value == 0)
        {
            return;
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

    /// <summary>Under the lock, at unbind: the thread ends and the device forgets the notify eventfd.</summary>
    private void StopEvents()
    {
        if (_events is EventChannels events)
        {
            _events = null;
            events.Stop.Signal();
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

    /// <summary>A binding's event eventfds: the wake eventfd low-power entries hand the device,
    /// the notify channel (when the device has one) and the eventfd that ends the thread, which
    /// owns and closes all three.</summary>
    private sealed record EventChannels(EventFd Wake, EventFd? Notify, EventFd Stop);
}
