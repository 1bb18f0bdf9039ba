namespace Vireo.Vmm;

/// <summary>Wakes a guest suspended to idle, now or after <see cref="Delay"/>. With
/// <see cref="Strict"/> (the API's <c>vm.wake</c> without a delay) a guest that is not suspending
/// or suspended is a <see cref="VmStateException"/>; otherwise such a wake is dropped (a key typed
/// on a running guest's console wakes nothing).</summary>
public sealed class WakeVm(string source, TimeSpan? delay = null, bool strict = false) : VmmRequest<VmmAck>
{
    public string Source { get; } = source;

    public TimeSpan? Delay { get; } = delay;

    public bool Strict { get; } = strict;
}
