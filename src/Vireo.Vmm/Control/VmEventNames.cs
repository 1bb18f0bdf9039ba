namespace Vireo.Vmm;

/// <summary>Event names Vireo publishes. Names are lowercase with dashes.</summary>
public static class VmEventNames
{
    public const string Booted = "booted";
    public const string Paused = "paused";

    /// <summary>The vCPUs run again, after <c>vm.resume</c> (property "from": "pause") or after
    /// an s2idle wake (property "from": "s2idle").</summary>
    public const string Resumed = "resumed";

    public const string PowerButton = "power-button";

    /// <summary>A GPE was raised; property "gpe" holds its number.</summary>
    public const string Gpe = "gpe";

    /// <summary>The guest started suspending to idle.</summary>
    public const string S2IdleEnter = "s2idle-enter";

    /// <summary>Every vCPU is idle in s2idle.</summary>
    public const string Suspended = "suspended";

    /// <summary>A wake event arrived and the guest is leaving s2idle.</summary>
    public const string S2IdleExit = "s2idle-exit";

    public const string Reset = "reset";
    public const string Shutdown = "shutdown";

    /// <summary>Sent by the API, not the VMM: this subscriber fell behind and property "count"
    /// events were dropped at this point in its stream.</summary>
    public const string EventsLost = "events-lost";
}
