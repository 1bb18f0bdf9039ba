namespace Vireo.Sdei;

/// <summary>Event priority as EVENT_GET_INFO(EV_PRIORITY) reports it (DEN0054 §5.1.10, §3.5).</summary>
public enum SdeiPriority : byte
{
    /// <summary>Preempts nothing; a Critical event may preempt its handler.</summary>
    Normal = 0,

    /// <summary>Preempts a running Normal handler on the same PE; nothing preempts a Critical one.</summary>
    Critical = 1,
}
