using Vireo.Memory;
using Vireo.Sys;

namespace Vireo.Pci;

/// <summary>
/// A PCI function the VMM's root bus puts in a slot, whatever implements it: an emulated device,
/// a vfio-user proxy, kernel VFIO. The root bus owns every function's BAR registers (0x10-0x27:
/// sizing, placement, 64-bit pairs) and its expansion ROM register (0x30, reads 0), so the BAR
/// logic exists once; the function owns the rest of its config space, including the Command
/// register (a proxy shadows it and MSI/MSI-X itself and forwards the rest to its device).
/// </summary>
/// <remarks>
/// Threads: the root serializes config accesses and <see cref="MemoryBarPlaced"/> under one
/// lock, on the vCPU thread that made the access. <see cref="ReadBar"/> and
/// <see cref="WriteBar"/> are called from any vCPU thread, concurrently from several. None of
/// these may block on host work for long: a vCPU waits for the answer.
/// </remarks>
public interface IPciFunction
{
    /// <summary>A short name, unique in the machine, for logs, errors and the API ("sample", "nvme0").</summary>
    string Id { get; }

    /// <summary>The function's BARs, at most one per register index (a 64-bit BAR also takes the next index). Read once, when the function is attached.</summary>
    IReadOnlyList<PciBarDescriptor> Bars { get; }

    /// <summary>The config space size: 256 (conventional PCI) or 4096 (PCI Express, reachable through ECAM). Accesses past it read all-ones and are not passed on.</summary>
    int ConfigSize { get; }

    /// <summary>A config read the root does not answer itself.</summary>
    /// <param name="offset">The byte offset in config space, below <see cref="ConfigSize"/>, never inside the BAR or expansion ROM registers.</param>
    /// <param name="data">1, 2 or 4 bytes, naturally aligned; the function fills all of them.</param>
    void ReadConfig(int offset, Span<byte> data);

    /// <summary>A config write the root does not handle itself. After a write that covers the
    /// Command register the root reads it back to learn whether memory and I/O decoding are on.</summary>
    /// <param name="offset">The byte offset in config space, below <see cref="ConfigSize"/>, never inside the BAR or expansion ROM registers.</param>
    /// <param name="data">1, 2 or 4 bytes, naturally aligned, little-endian.</param>
    void WriteConfig(int offset, ReadOnlySpan<byte> data);

    /// <summary>A guest read of a BAR outside any area mapped into the guest.</summary>
    /// <param name="index">The BAR's <see cref="PciBarDescriptor.Index"/>.</param>
    /// <param name="offset">The offset from the BAR's start; the access lies inside the BAR.</param>
    /// <param name="data">The access (1, 2, 4 or 8 bytes); the function fills all of it.</param>
    void ReadBar(int index, ulong offset, Span<byte> data);

    /// <summary>A guest write to a BAR outside any area mapped into the guest.</summary>
    /// <param name="index">The BAR's <see cref="PciBarDescriptor.Index"/>.</param>
    /// <param name="offset">The offset from the BAR's start; the access lies inside the BAR.</param>
    /// <param name="data">The bytes written (1, 2, 4 or 8), little-endian.</param>
    void WriteBar(int index, ulong offset, ReadOnlySpan<byte> data);

    /// <summary>Maps one of a BAR's <see cref="PciBarDescriptor.MmapAreas"/> into this process,
    /// shared and writable, so the VMM can give it to the guest as a memory slot; the caller owns
    /// the mapping. Called at most once per area and machine, the first time its BAR decodes; a function
    /// without mmap areas is never asked. A backend that cannot map throws a
    /// <see cref="VireoException"/>, and the area's accesses then trap to <see cref="ReadBar"/>/<see cref="WriteBar"/>.</summary>
    /// <param name="index">The BAR's <see cref="PciBarDescriptor.Index"/>.</param>
    /// <param name="area">One of that BAR's <see cref="PciBarDescriptor.MmapAreas"/>.</param>
    MappedMemory MapArea(int index, PciMmapArea area);

    /// <summary>Tells the function where memory BAR <paramref name="index"/> now decodes: at
    /// <paramref name="address"/>, or nowhere (null) while memory decoding is off or the guest has
    /// the BAR unprogrammed or half-written. Called only on a change. A function that keeps state
    /// per placement (areas mapped into the guest, ioeventfds) moves it here; others ignore it.</summary>
    /// <param name="index">The BAR's <see cref="PciBarDescriptor.Index"/>.</param>
    /// <param name="address">The guest-physical base, or null when the BAR does not decode.</param>
    void MemoryBarPlaced(int index, MmioAddress? address);
}
