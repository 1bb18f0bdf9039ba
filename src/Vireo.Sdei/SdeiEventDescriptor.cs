namespace Vireo.Sdei;

/// <summary>One entry of the static event table the dispatcher is built with.</summary>
/// <param name="Number">The event number the guest registers (a 32-bit value, DEN0054 §4.1).</param>
/// <param name="Type">Private (per vCPU) or shared.</param>
/// <param name="Priority">Normal or critical.</param>
/// <param name="Signalable">True only for event 0, the one EVENT_SIGNAL may raise (DEN0054 §5.1.17).</param>
public readonly record struct SdeiEventDescriptor(uint Number, SdeiEventType Type, SdeiPriority Priority, bool Signalable = false)
{
    /// <summary>Event 0: private, normal, signalable, always implemented (DEN0054 §4.1.1).</summary>
    public static SdeiEventDescriptor SoftwareSignaled => new(0, SdeiEventType.Private, SdeiPriority.Normal, Signalable: true);
}
