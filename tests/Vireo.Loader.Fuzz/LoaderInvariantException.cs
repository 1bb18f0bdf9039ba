namespace Vireo.Loader.Fuzz;

/// <summary>The loader returned, but what it put in guest RAM breaks one of the invariants that
/// <see cref="BzImageTarget"/> checks: a finding, as much as an exception escaping it.</summary>
public sealed class LoaderInvariantException(string message) : Exception(message);
