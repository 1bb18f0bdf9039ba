namespace Vireo.Vmm;

/// <summary>Event names Vireo publishes. Names are lowercase with dashes.</summary>
public static class VmEventNames
{
    /// <summary>The guest was started (again, after a reboot with restart).</summary>
    public const string Booted = "booted";
    /// <summary>The host paused the vCPUs.</summary>
    public const string Paused = "paused";

    /// <summary>The vCPUs run again, after <c>vm.resume</c> (property "from": "pause") or after
    /// an s2idle wake (property "from": "s2idle").</summary>
    public const string Resumed = "resumed";

    /// <summary>The power button was pressed (property "source").</summary>
    public const string PowerButton = "power-button";

    /// <summary>A GPE was raised; property "gpe" holds its number.</summary>
    public const string Gpe = "gpe";

    /// <summary>The host signalled an SDEI event (<c>vm.sdei</c>, a bound interrupt, a device); fields: event,
    /// source (api, interrupt N, a device), result (taken, dropped: registered nowhere it was sent, invalid),
    /// and cpu for one vCPU.</summary>
    public const string SdeiSignal = "sdei-signal";

    /// <summary>A snapshot of the paused VM was written (<c>path</c>: its directory).</summary>
    public const string Snapshot = "snapshot";

    /// <summary>The guest started suspending to idle.</summary>
    public const string S2IdleEnter = "s2idle-enter";

    /// <summary>Every vCPU is idle in s2idle.</summary>
    public const string Suspended = "suspended";

    /// <summary>A wake event arrived and the guest is leaving s2idle.</summary>
    public const string S2IdleExit = "s2idle-exit";

    /// <summary>The guest reset the machine (a reboot); property "reason".</summary>
    public const string Reset = "reset";
    /// <summary>The machine stopped: power-off, triple fault, host stop or failure; property "reason".</summary>
    public const string Shutdown = "shutdown";

    /// <summary>A PCI device stopped answering (its server died or stalled); the VM keeps
    /// running and the device's BARs read all-ones. Properties "id", "backend" and "reason".</summary>
    public const string DeviceLost = "device-lost";

    /// <summary>An assigned PCI device entered low power: properties "id", "cause" ("guest": its
    /// power resource's _OFF; "api": vm.device-power) and "wake" ("armed" when the device entered
    /// with its wake eventfd for a guest that armed a wake or for the host, else "none").</summary>
    public const string DeviceLowPower = "device-low-power";

    /// <summary>An assigned PCI device left low power: properties "id" and "cause" ("device": it
    /// woke by itself or at an access; "guest": its power resource's _ON; "api"); with cause
    /// "device", "gpe" is "raised" when the guest had powered it off with a wake armed and was sent
    /// its wake GPE (Notify 2), else "none".</summary>
    public const string DeviceWake = "device-wake";

    /// <summary>A device sent an ACPI notify code, queued for the guest's Notify on the device's
    /// object: properties "id" and "code" ("0x80"); or codes were lost: "id", "lost" (how many)
    /// and "reason".</summary>
    public const string DeviceNotify = "device-notify";

    /// <summary>The guest's ACPI methods changed an assigned device's D-state or wake arming:
    /// properties "id", "state" ("D0", "D3hot", "D3cold") and "wake" ("armed" or "none").</summary>
    public const string DevicePowerState = "device-power-state";

    /// <summary>A power change the guest asked for failed (the device stays powered): "id", "reason".</summary>
    public const string DevicePowerFailed = "device-power-failed";

    /// <summary>The guest ejected an assigned PCI device (its slot's _EJ0) and the VMM detached
    /// it: its device is closed and its slot empty, also after a reboot; <c>vm.info</c> no longer
    /// lists it. Properties "id", "slot" (decimal) and "address" ("0000:00:03.0").</summary>
    public const string DeviceEjected = "device-ejected";

    /// <summary>Sent by the API, not the VMM: this subscriber fell behind and property "count"
    /// events were dropped at this point in its stream.</summary>
    public const string EventsLost = "events-lost";
}
