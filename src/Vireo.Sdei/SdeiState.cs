namespace Vireo.Sdei;

/// <summary>
/// The dispatcher's whole state as firmware pseudo-registers: one list for shared state (events, bindings) and
/// one list per vCPU (mask, private events, the dispatch stack), in the id encoding of <see cref="SdeiStateRegisters"/>.
/// No host pointers: every value is a guest-visible quantity or an index into the static event table.
/// </summary>
public sealed record SdeiState(IReadOnlyList<SdeiRegister> Shared, IReadOnlyList<IReadOnlyList<SdeiRegister>> Vcpus);
