using Vireo.Memory;

namespace Vireo.Virtio;

/// <summary>One buffer of a descriptor chain, already checked to lie inside guest RAM.</summary>
/// <param name="Address">The guest-physical start.</param>
/// <param name="Length">The length in bytes.</param>
/// <param name="Writable">True when the device writes it (VIRTQ_DESC_F_WRITE).</param>
public readonly record struct VirtqBuffer(GuestAddress Address, uint Length, bool Writable);
