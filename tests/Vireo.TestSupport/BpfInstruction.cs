namespace Vireo.TestSupport;

/// <summary>One classic BPF instruction (<c>struct sock_filter</c>), as <see cref="ClassicBpf"/> runs it.</summary>
public readonly record struct BpfInstruction(ushort Code, byte JumpTrue, byte JumpFalse, uint K);
