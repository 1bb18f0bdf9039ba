namespace Vireo.Sdei;

/// <summary>Routing of a shared event: EVENT_REGISTER flags bit 0 (DEN0054 §5.1.2, §5.1.11).</summary>
public enum SdeiRoutingMode : byte
{
    /// <summary>RM_ANY: any PE that can take the event.</summary>
    Any = 0,

    /// <summary>RM_PE: only the PE whose MPIDR affinity was given.</summary>
    Pe = 1,
}
