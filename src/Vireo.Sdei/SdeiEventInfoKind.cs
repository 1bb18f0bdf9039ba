namespace Vireo.Sdei;

/// <summary>The info argument of EVENT_GET_INFO (DEN0054 §5.1.10).</summary>
public enum SdeiEventInfoKind : ulong
{
    /// <summary>EV_TYPE: 0 for a private event, 1 for a shared one.</summary>
    Type = 0,

    /// <summary>1 when the event can be signalled with EVENT_SIGNAL (only event 0 here).</summary>
    Signaled = 1,
    /// <summary>EV_PRIORITY: a <see cref="SdeiPriority"/>.</summary>
    Priority = 2,
    /// <summary>EV_ROUTING_MODE of a shared event: 0 any PE (RM_ANY), 1 the PE named by its affinity (RM_PE).</summary>
    RoutingMode = 3,
    /// <summary>EV_ROUTING_AFF of a shared event: the MPIDR affinity it is routed to.</summary>
    RoutingAffinity = 4,
}
