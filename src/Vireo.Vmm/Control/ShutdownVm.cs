namespace Vireo.Vmm;

/// <summary>Ends the VM. Graceful (the default) asks the guest to power off with the power
/// button — waking it first if it is suspended to idle, then pressing once it has resumed — and
/// the VM ends when the guest does; <paramref name="force"/> stops the vCPUs at once.</summary>
public sealed class ShutdownVm(bool force, string source = "api") : VmmRequest<VmmAck>
{
    /// <summary>Stop the vCPUs at once instead of asking the guest.</summary>
    public bool Force { get; } = force;

    /// <summary>Who asked ("api", "sigterm", "console").</summary>
    public string Source { get; } = source;
}
