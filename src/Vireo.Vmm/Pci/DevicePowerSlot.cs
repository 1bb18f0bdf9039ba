using System.Diagnostics;
using Vireo.Devices;

namespace Vireo.Vmm;

/// <summary>
/// One power-managed PCI function and its <see cref="SlotPowerDevice"/>: the ACPI power resource,
/// D-state methods, <c>_DSW</c> and notify mailbox the guest sees in the function's slot Device.
/// The guest's power commands arrive on the vCPU thread that wrote them and act on the device
/// there (an <c>_OFF</c> returns once the device is in low power); what happened is reported as
/// a <see cref="DevicePowerEvent"/> for the control loop, which publishes it and owns every
/// decision that involves the whole VM (a device wake while the guest is in s2idle). The guest's
/// <c>_EJ0</c> detaches the function from the machine on the same thread.
/// </summary>
public sealed class DevicePowerSlot
{
    private Action<DevicePowerEvent> _report = _ => { };
    // Stopwatch timestamp of the wake GPE the guest has not answered with _ON yet; 0 when none.
    private long _wakeRaisedAt;
    private Func<bool>? _detach;

    internal DevicePowerSlot(int slot, IPowerManagedPciFunction function, SlotPowerDevice device)
    {
        Slot = slot;
        Function = function;
        Device = device;
        device.CommandWritten += OnGuestCommand;
        device.NotifyRead += NotifyLatency.Record;
    }

    /// <summary>From a notify code entering the mailbox (its GPE raised) to the guest's GPE method
    /// reading it out.</summary>
    public GuestLatency NotifyLatency { get; } = new();

    /// <summary>From the device's wake GPE raised for a guest that awaited it to the guest powering
    /// the device back on (the power resource's <c>_ON</c>, in its runtime resume).</summary>
    public GuestLatency WakeLatency { get; } = new();

    /// <summary>Where the slot's news goes once the function is bound (nowhere before).</summary>
    internal void ReportTo(Action<DevicePowerEvent> report) => _report = report;

    /// <summary>What takes the function out of the machine when the guest ejects it: true when
    /// it did, false when there was nothing left to take (it logs why). Set when the function is
    /// bound; an eject before that (nothing runs then) does nothing.</summary>
    internal void DetachWith(Func<bool> detach) => _detach = detach;

    /// <summary>The slot on the root bus.</summary>
    public int Slot { get; }

    /// <summary>The function.</summary>
    public IPowerManagedPciFunction Function { get; }

    /// <summary>Its ACPI power and notify registers.</summary>
    public SlotPowerDevice Device { get; }

    /// <summary>The guest's D-state for the device as its ACPI methods left it: "D0", "D3hot", "D3cold".</summary>
    public string DState => Device.State switch
    {
        SlotDeviceState.D3Hot => "D3hot",
        SlotDeviceState.D3Cold => "D3cold",
        _ => "D0",
    };

    /// <summary>Whether the guest powered the device off with a wake armed: a device wake is then
    /// the guest's (its wake GPE), not only the host's news.</summary>
    public bool GuestAwaitsWake => Device.State == SlotDeviceState.D3Cold && Device.WakeArmed && !Device.IsEjected;

    /// <summary>A code from the device's notify channel: into the mailbox (which raises the
    /// notify GPE), then reported. From the function's events thread.</summary>
    internal void Notify(byte code)
    {
        bool queued = Device.PostNotify(code);
        _report(queued ? DevicePowerEvent.Notified(Function.Id, code)
            : DevicePowerEvent.NotifyLost(Function.Id, 1, Device.IsEjected ? "the guest ejected the device" : "the guest's mailbox is full"));
    }

    /// <summary>Codes the device itself dropped.</summary>
    internal void NotifyLost(int count) => _report(DevicePowerEvent.NotifyLost(Function.Id, count, "the device dropped them"));

    /// <summary>The function left low power by itself (its wake eventfd fired), on its events
    /// thread: a guest that powered the device off with a wake armed gets its wake GPE at once
    /// (no hop through the control loop, which still wakes a guest in s2idle on the report).</summary>
    internal void Woke()
    {
        bool raised = GuestAwaitsWake;
        if (raised)
        {
            Interlocked.Exchange(ref _wakeRaisedAt, Stopwatch.GetTimestamp());
            Device.SignalWake();
        }
        _report(DevicePowerEvent.Woke(Function.Id, "device", gpeRaised: raised));
    }

    /// <summary>On the vCPU thread inside the guest's AML: the power resource's <c>_OFF</c> puts
    /// the device in low power (with its wake eventfd when the guest armed a wake through
    /// <c>_DSW</c>), <c>_ON</c> brings it back (LOW_POWER_EXIT), <c>_EJ0</c> detaches it; the
    /// rest is state. Once ejected, the slot is empty and the guest's methods change nothing.</summary>
    private void OnGuestCommand(SlotPowerCommand command)
    {
        string id = Function.Id;
        if (command == SlotPowerCommand.Eject)
        {
            // Linux's acpiphp (drivers/pci/hotplug/acpiphp_glue.c, acpiphp_disable_and_eject_slot)
            // evaluates _EJ0 after it removed the PCI device and trimmed its ACPI device; a
            // second _EJ0 finds the slot empty and the detach says so.
            if (_detach?.Invoke() == true)
            {
                _report(DevicePowerEvent.Ejected(id, Slot));
            }
            return;
        }
        if (Device.IsEjected)
        {
            return;
        }
        switch (command)
        {
            case SlotPowerCommand.PowerOff:
                try
                {
                    // The event says what the device holds (the wakeup form or not), which a
                    // device offering only one form decides, not only what the guest armed.
                    bool withWakeup = Function.EnterLowPower(armWake: Device.WakeArmed);
                    _report(DevicePowerEvent.LowPower(id, "guest", withWakeup));
                }
                catch (InvalidOperationException e)
                {
                    // The guest sees D3cold either way; the device just stays powered.
                    _report(DevicePowerEvent.Failed(id, e.Message));
                }
                break;
            case SlotPowerCommand.PowerOn:
                if (Interlocked.Exchange(ref _wakeRaisedAt, 0) is long raisedAt and not 0)
                {
                    WakeLatency.Record(Stopwatch.GetElapsedTime(raisedAt));
                }
                try
                {
                    Function.ExitLowPower();
                    _report(DevicePowerEvent.Woke(id, "guest"));
                }
                catch (InvalidOperationException e)
                {
                    _report(DevicePowerEvent.Failed(id, e.Message));
                }
                break;
        }
        _report(DevicePowerEvent.PowerState(id, DState, Device.WakeArmed));
    }
}
