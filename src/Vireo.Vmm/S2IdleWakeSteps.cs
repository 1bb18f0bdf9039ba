namespace Vireo.Vmm;

/// <summary>One s2idle wake split into its steps (µs, per cycle), as <see cref="S2IdleBenchmark"/>
/// timed them; the five add up to <see cref="S2IdleBenchmarkResult.WakeToFirstInstruction"/>
/// cycle by cycle.</summary>
/// <param name="RequestToLoop">The wake request posted to the control loop taking it.</param>
/// <param name="LoopToRelease">The control loop deciding the wake to vCPU 0's park being
/// released (the wake event injected, devices woken).</param>
/// <param name="ReleaseToThread">The release to vCPU 0's thread returning from its wait: the
/// host's thread wake-up.</param>
/// <param name="ThreadToRun">That return to the thread calling KVM_RUN.</param>
/// <param name="RunToMarker">KVM_RUN called to the guest's marker write reaching the bus: the
/// guest entry, one instruction and the marker's exit.</param>
public sealed record S2IdleWakeSteps(
    LatencySummary RequestToLoop,
    LatencySummary LoopToRelease,
    LatencySummary ReleaseToThread,
    LatencySummary ThreadToRun,
    LatencySummary RunToMarker);
