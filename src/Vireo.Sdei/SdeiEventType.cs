namespace Vireo.Sdei;

/// <summary>Event type as EVENT_GET_INFO(EV_TYPE) reports it (DEN0054 §5.1.10).</summary>
public enum SdeiEventType : byte
{
    /// <summary>One instance per PE; each PE registers its own handler.</summary>
    Private = 0,

    /// <summary>One instance for the system, routed to a PE by its routing mode.</summary>
    Shared = 1,
}
