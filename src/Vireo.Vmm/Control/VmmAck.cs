namespace Vireo.Vmm;

/// <summary>The reply of a request that returns nothing but its completion.</summary>
public readonly record struct VmmAck;
