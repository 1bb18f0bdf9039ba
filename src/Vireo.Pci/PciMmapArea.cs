namespace Vireo.Pci;

/// <summary>A page-aligned part of a shared-memory BAR that a client may map directly.</summary>
public readonly record struct PciMmapArea(ulong Offset, ulong Size);
