namespace Vireo.Vmm;

/// <summary>What <see cref="S2IdleBenchmark"/> measured, each latency in microseconds.</summary>
/// <param name="Cycles">Suspend/resume cycles the guest went through.</param>
/// <param name="ReferenceRoundTrip">One plain port-I/O exit, guest to bus device and back into
/// the guest: the yardstick the other figures are divided by.</param>
/// <param name="EntryToEnterEvent">The LPS0 entry trap reaching Vireo to a subscriber seeing
/// <c>s2idle-enter</c>.</param>
/// <param name="EntryToSuspendedEvent">The entry trap to a subscriber seeing <c>suspended</c>:
/// the vCPUs are parked by then.</param>
/// <param name="WakeToFirstInstruction">A wake request (what <c>vm.wake</c> calls) to the guest's
/// first instruction after the trap it was parked in.</param>
/// <param name="WakeSteps">The same wakes, step by step.</param>
public sealed record S2IdleBenchmarkResult(
    int Cycles,
    LatencySummary ReferenceRoundTrip,
    LatencySummary EntryToEnterEvent,
    LatencySummary EntryToSuspendedEvent,
    LatencySummary WakeToFirstInstruction,
    S2IdleWakeSteps WakeSteps)
{
    /// <summary>How many reference exits the median entry-to-suspended latency costs.</summary>
    public double EntryToSuspendedRatio => EntryToSuspendedEvent.Median / ReferenceRoundTrip.Median;

    /// <summary>How many reference exits the median wake-to-first-instruction latency costs.</summary>
    public double WakeToFirstInstructionRatio => WakeToFirstInstruction.Median / ReferenceRoundTrip.Median;
}
