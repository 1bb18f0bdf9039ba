namespace Vireo.Vmm;

/// <summary>Wakes the devices and lets the vCPUs held by <see cref="PauseVm"/> run; valid only
/// while paused.</summary>
public sealed class ResumeVm : VmmRequest<VmmAck>;
