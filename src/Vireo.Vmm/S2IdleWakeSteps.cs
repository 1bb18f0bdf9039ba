namespace Vireo.Vmm;

/// <summary>One s2idle wake split into its steps (µs, per cycle), as <see cref="S2IdleBenchmark"/>
/// timed them; the five add up to <see cref="S2IdleBenchmarkResult.WakeToFirstInstruction"/>
/// cycle by cycle.</summary>
/// <param name="RequestToTaken">The wake request posted to the wake being taken: by the control
/// loop off its queue, or by the posting thread itself through the loop's wake latch.</param>
/// <param name="TakenToRelease">The wake taken to vCPU 0's park being released (the wake event
/// injected, devices woken).</param>
/// <param name="ReleaseToThread">The release to vCPU 0's thread returning from its wait: the
/// host's thread wake-up.</param>
/// <param name="ThreadToRun">That return to the thread calling KVM_RUN.</param>
/// <param name="RunToMarker">KVM_RUN called to the guest's marker write reaching the bus: the
/// guest entry, one instruction and the marker's exit.</param>
public sealed record S2IdleWakeSteps(
    LatencySummary RequestToTaken,
    LatencySummary TakenToRelease,
    LatencySummary ReleaseToThread,
    LatencySummary ThreadToRun,
    LatencySummary RunToMarker);
