namespace Vireo.Vmm;

/// <summary>One transition of an s2idle cycle, for the VMM's event stream.</summary>
/// <param name="Kind">Which transition.</param>
/// <param name="Cycle">Which suspend attempt, counting from 1; every event of one cycle shares it.</param>
/// <param name="Sequence">Position in the stream, from 1, without gaps: events arrive in this order.</param>
/// <param name="Time">When the transition happened.</param>
/// <param name="Source">For <see cref="S2IdleEventKind.Exit"/>, who asked for the wake ("api",
/// "timer", "serial", ...); for <see cref="S2IdleEventKind.Abort"/>, why ("guest", "reset",
/// "park-failed"); otherwise null.</param>
public sealed record S2IdleEvent(S2IdleEventKind Kind, long Cycle, long Sequence, DateTimeOffset Time, string? Source)
{
    /// <summary>The event's name on the management API (Vireo.Api VmEventNames where it has one).</summary>
    public string Name => Kind switch
    {
        S2IdleEventKind.Enter => "s2idle-enter",
        S2IdleEventKind.Suspended => "suspended",
        S2IdleEventKind.Exit => "s2idle-exit",
        S2IdleEventKind.Resumed => "resumed",
        S2IdleEventKind.Abort => "s2idle-abort",
        _ => throw new InvalidOperationException($"unknown s2idle event kind {Kind}"),
    };
}
