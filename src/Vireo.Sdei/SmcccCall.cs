namespace Vireo.Sdei;

/// <summary>An SMCCC call as the guest made it: the function id (w0) and the arguments x1..x5.</summary>
public readonly record struct SmcccCall(uint FunctionId, ulong X1 = 0, ulong X2 = 0, ulong X3 = 0, ulong X4 = 0, ulong X5 = 0);
