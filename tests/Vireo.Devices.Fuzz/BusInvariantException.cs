namespace Vireo.Devices.Fuzz;

/// <summary>The devices broke a rule a guest relies on without throwing (a read left bytes
/// unfilled, the SCI disagrees with the registers, state does not round-trip...); thrown out of
/// <see cref="BusTarget.Run"/> so afl-fuzz records the input as a crash.</summary>
public sealed class BusInvariantException(string message) : Exception(message);
