namespace Vireo.Sdei;

/// <summary>The info argument of EVENT_GET_INFO (DEN0054 §5.1.10).</summary>
public enum SdeiEventInfoKind : ulong
{
    Type = 0,

    /// <summary>1 when the event can be signalled with EVENT_SIGNAL (only event 0 here).</summary>
    Signaled = 1,
    Priority = 2,
    RoutingMode = 3,
    RoutingAffinity = 4,
}
