namespace Vireo.Sdei;

/// <summary>One firmware pseudo-register of the dispatcher state: an id from <see cref="SdeiStateRegisters"/> and its value.</summary>
public readonly record struct SdeiRegister(ulong Id, ulong Value);
