namespace Vireo.Vmm;

/// <summary>What an assigned device's power or notify path did, for the control loop to publish
/// (and act on, for <see cref="DevicePowerEventKind.Wake"/> from the device).</summary>
/// <param name="Id">The function's name.</param>
/// <param name="Kind">What happened.</param>
/// <param name="Cause">Who made it happen: "guest", "api", "device".</param>
/// <param name="Code">The notify code (<see cref="DevicePowerEventKind.Notify"/>), the number of
/// codes lost (<see cref="DevicePowerEventKind.NotifyLost"/>) or the slot the device left
/// (<see cref="DevicePowerEventKind.Ejected"/>).</param>
/// <param name="Detail">The D-state (<see cref="DevicePowerEventKind.PowerState"/>), or why codes
/// were lost or a change failed.</param>
/// <param name="Wake">For <see cref="DevicePowerEventKind.LowPower"/>: the device entered with a
/// wake eventfd (the form it used); for <see cref="DevicePowerEventKind.PowerState"/>: the guest
/// armed a wake (_DSW); for
/// <see cref="DevicePowerEventKind.Wake"/>: the guest awaited it and was sent its wake GPE.</param>
public sealed record DevicePowerEvent(string Id, DevicePowerEventKind Kind, string Cause, int Code = 0, string? Detail = null, bool Wake = false)
{
    /// <summary>The device entered low power.</summary>
    public static DevicePowerEvent LowPower(string id, string cause, bool withWakeup) =>
        new(id, DevicePowerEventKind.LowPower, cause, Wake: withWakeup);

    /// <summary>The device left low power; <paramref name="gpeRaised"/>: its guest awaited the
    /// wake and was sent its wake GPE.</summary>
    public static DevicePowerEvent Woke(string id, string cause, bool gpeRaised = false) =>
        new(id, DevicePowerEventKind.Wake, cause, Wake: gpeRaised);

    /// <summary>A notify code went into the guest's mailbox.</summary>
    public static DevicePowerEvent Notified(string id, byte code) => new(id, DevicePowerEventKind.Notify, "device", code);

    /// <summary>Codes that never reached the guest.</summary>
    public static DevicePowerEvent NotifyLost(string id, int count, string why) => new(id, DevicePowerEventKind.NotifyLost, "device", count, why);

    /// <summary>The guest's ACPI methods moved the device's D-state or its wake arming.</summary>
    public static DevicePowerEvent PowerState(string id, string dState, bool wakeArmed) =>
        new(id, DevicePowerEventKind.PowerState, "guest", Detail: dState, Wake: wakeArmed);

    /// <summary>The guest ejected the device from <paramref name="slot"/>, which is empty now.</summary>
    public static DevicePowerEvent Ejected(string id, int slot) => new(id, DevicePowerEventKind.Ejected, "guest", slot);

    /// <summary>The device refused a power change the guest asked for.</summary>
    public static DevicePowerEvent Failed(string id, string why) => new(id, DevicePowerEventKind.Failed, "guest", Detail: why);
}
