namespace Vireo.Vmm;

/// <summary>One BAR of a <see cref="PciDeviceInfo"/>.</summary>
/// <param name="Index">The BAR register, 0 to 5 (the low one of a 64-bit pair).</param>
/// <param name="Kind">"memory32", "memory64" or "io".</param>
/// <param name="Size">The size in bytes.</param>
/// <param name="Prefetchable">Whether the BAR reports itself prefetchable.</param>
/// <param name="GuestAddress">Where it decodes now (a port number for an I/O BAR), or null
/// while it does not (decoding off, or unprogrammed).</param>
public sealed record PciBarInfo(int Index, string Kind, ulong Size, bool Prefetchable, ulong? GuestAddress);
