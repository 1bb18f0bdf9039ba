namespace Vireo.Vmm;

/// <summary>Starts a user's host command for a VM event (<c>--on-suspend</c>,
/// <c>--on-resume</c>). Called on the control loop's thread, never on a vCPU thread; it must start
/// the command and return without waiting for it.</summary>
public interface IHostHookRunner
{
    /// <summary>Starts <paramref name="command"/> for <paramref name="eventName"/> of suspend cycle <paramref name="cycle"/>.</summary>
    void Start(string command, string eventName, long cycle);
}
