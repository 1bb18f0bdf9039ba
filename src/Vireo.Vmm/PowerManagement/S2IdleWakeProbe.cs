using System.Diagnostics;

namespace Vireo.Vmm;

/// <summary>
/// Where one s2idle wake's time goes, for <see cref="S2IdleBenchmark"/>: each step on the way
/// from a wake request to the guest stamps itself here when a probe is attached (to the
/// <see cref="Machine"/>, which hands it to vCPU 0). Without one a step costs a null check.
/// Stamps are <see cref="Stopwatch"/> timestamps; 0 means the step has not happened since
/// <see cref="Clear"/>.
/// </summary>
internal sealed class S2IdleWakeProbe
{
    private long _wakeTaken;
    private long _released;
    private long _threadWoke;
    private long _runEntered;

    /// <summary>The wake was taken: by the control loop off its queue, or by the waker itself
    /// through the loop's wake latch.</summary>
    public long WakeTaken => Volatile.Read(ref _wakeTaken);

    /// <summary>vCPU 0's park was released (its eventfd about to be signalled).</summary>
    public long Released => Volatile.Read(ref _released);

    /// <summary>vCPU 0's thread returned from its wait (the last return before it ran).</summary>
    public long ThreadWoke => Volatile.Read(ref _threadWoke);

    /// <summary>vCPU 0's thread was about to call KVM_RUN, the first time after the park.</summary>
    public long RunEntered => Volatile.Read(ref _runEntered);

    public void MarkWakeTaken() => Volatile.Write(ref _wakeTaken, Stopwatch.GetTimestamp());

    public void MarkReleased() => Volatile.Write(ref _released, Stopwatch.GetTimestamp());

    public void MarkThreadWoke() => Volatile.Write(ref _threadWoke, Stopwatch.GetTimestamp());

    public void MarkRunEntered() => Volatile.Write(ref _runEntered, Stopwatch.GetTimestamp());

    /// <summary>Forgets every stamp, before the next wake is timed.</summary>
    public void Clear()
    {
        Volatile.Write(ref _wakeTaken, 0);
        Volatile.Write(ref _released, 0);
        Volatile.Write(ref _threadWoke, 0);
        Volatile.Write(ref _runEntered, 0);
    }
}
