namespace Vireo.Vmm;

/// <summary>Wakes a guest suspended to idle, now or after <see cref="Delay"/>. With
/// <see cref="Strict"/> (the API's <c>vm.wake</c> without a delay) a guest that is not suspending
/// or suspended is a <see cref="VmStateException"/>; otherwise such a wake is dropped (a key typed
/// on a running guest's console wakes nothing).</summary>
public sealed class WakeVm(string source, TimeSpan? delay = null, bool strict = false) : VmmRequest<VmmAck>
{
    /// <summary>Who asks, for the s2idle-exit event ("api", "serial", "timer").</summary>
    public string Source { get; } = source;

    /// <summary>Wake this long from now instead of now; null or zero is now.</summary>
    public TimeSpan? Delay { get; } = delay;

    /// <summary>Whether it wakes now (no positive <see cref="Delay"/>).</summary>
    public bool IsNow => Delay is not TimeSpan delay || delay <= TimeSpan.Zero;

    /// <summary>Refuse (409) when the guest is not suspending or suspended.</summary>
    public bool Strict { get; } = strict;
}
