using System.Runtime.ExceptionServices;

namespace Vireo.Vmm;

/// <summary>
/// A wake of a suspended guest that the control loop arms and any thread may fire once: the
/// loop (the one owner) arms it only between two messages, while the guest is suspended to idle
/// and the VM is not paused, with the release it would itself do for a wake (inject the wake
/// event, wake the devices, unpark the vCPUs). A waker that fires it does that release at once
/// on its own thread, so the guest's wake does not wait for the control thread to be scheduled;
/// the loop then takes the latch back (<see cref="Disarm"/>) before it handles anything, and
/// records the wake as its own. Arm, fire and disarm are one compare-and-swap each, so exactly
/// one of "the loop" and "one waker" releases a given park, and whatever the release wrote
/// is visible to the loop after <see cref="Disarm"/>.
/// </summary>
internal sealed class S2IdleWakeLatch
{
    private const int Disarmed = 0;
    private const int Armed = 1;
    private const int Firing = 2;
    private const int Fired = 3;

    private int _state;
    private Action? _release;
    private string? _source;
    private Exception? _failure;

    /// <summary>Whether a waker may fire it now.</summary>
    public bool IsArmed => Volatile.Read(ref _state) == Armed;

    /// <summary>The owner arms it with the release a wake does; it must be disarmed.</summary>
    public void Arm(Action release)
    {
        ArgumentNullException.ThrowIfNull(release);
        if (Volatile.Read(ref _state) != Disarmed)
        {
            throw new InvalidOperationException("the wake latch is already armed; disarm it first");
        }
        _release = release;
        _source = null;
        _failure = null;
        // Publishes the fields above to whichever thread fires it.
        Volatile.Write(ref _state, Armed);
    }

    /// <summary>Any thread: releases the guest if the latch is armed, and says whether it did.
    /// Never blocks; a failure of the release is kept for the owner (<see cref="Disarm"/>), not
    /// thrown at the waker.</summary>
    public bool TryFire(string source)
    {
        if (Interlocked.CompareExchange(ref _state, Firing, Armed) != Armed)
        {
            return false;
        }
        _source = source;
        try
        {
            _release!();
        }
        catch (Exception e)
        {
            _failure = e;
        }
        Volatile.Write(ref _state, Fired);
        return true;
    }

    /// <summary>The owner takes the latch back: null when no waker fired it, else the fired
    /// wake's source, once its release has finished (a release in progress is waited for; it
    /// never blocks). A release that failed is rethrown here, on the owner's thread.</summary>
    public string? Disarm()
    {
        int was = Interlocked.CompareExchange(ref _state, Disarmed, Armed);
        if (was is Disarmed or Armed)
        {
            return null;
        }
        var spin = default(SpinWait);
        while (Volatile.Read(ref _state) == Firing)
        {
            spin.SpinOnce();
        }
        string? source = _source;
        Exception? failure = _failure;
        _release = null;
        _failure = null;
        Volatile.Write(ref _state, Disarmed);
        if (failure is not null)
        {
            ExceptionDispatchInfo.Throw(failure);
        }
        return source;
    }
}
