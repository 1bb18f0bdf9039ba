namespace Vireo.Vmm;

/// <summary>Holds every vCPU and puts the devices to sleep, without the guest noticing; valid
/// only while running.</summary>
public sealed class PauseVm : VmmRequest<VmmAck>;
