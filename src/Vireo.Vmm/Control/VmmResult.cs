namespace Vireo.Vmm;

/// <summary>How a <see cref="ControlLoop"/> run ended: the last machine's exit, the guest's panic
/// line if its console printed one, and how many times the guest booted.</summary>
public sealed record VmmResult(MachineExit Exit, string? PanicLine, int Boots);
