namespace Vireo.Vmm;

/// <summary>How a <see cref="ControlLoop"/> run ended: the last machine's exit, the guest's panic
/// line if its console printed one, how many times the guest booted, and what the VMM cost.</summary>
/// <param name="Exit">Why the last machine ended.</param>
/// <param name="PanicLine">The guest's panic line, if its console printed one.</param>
/// <param name="Boots">How many times the guest booted.</param>
/// <param name="FirstEntry">The VMM's footprint at the first boot's first guest instruction.</param>
/// <param name="End">The VMM's footprint when the last machine ended, before it was torn down.</param>
public sealed record VmmResult(MachineExit Exit, string? PanicLine, int Boots, VmmFootprint? FirstEntry = null, VmmFootprint? End = null);
