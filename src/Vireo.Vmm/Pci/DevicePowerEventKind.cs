namespace Vireo.Vmm;

/// <summary>The kinds of <see cref="DevicePowerEvent"/>.</summary>
public enum DevicePowerEventKind
{
    /// <summary>Entered low power (<c>device-low-power</c>).</summary>
    LowPower,
    /// <summary>Left low power (<c>device-wake</c>).</summary>
    Wake,
    /// <summary>A notify code queued for the guest (<c>device-notify</c>).</summary>
    Notify,
    /// <summary>Notify codes lost (<c>device-notify</c> with <c>lost</c>).</summary>
    NotifyLost,
    /// <summary>The guest's D-state or wake arming changed (<c>device-power-state</c>).</summary>
    PowerState,
    /// <summary>A power change the guest asked for failed (<c>device-power-failed</c>).</summary>
    Failed,
    /// <summary>The guest ejected the device and the VMM detached it (<c>device-ejected</c>).</summary>
    Ejected,
}
