namespace Vireo.Pci;

/// <summary>
/// One BAR of an <see cref="IPciFunction"/> as the root bus needs it to emulate the BAR register
/// (sizing, type bits) and place it: index, size, kind, prefetchable, and the page-aligned areas
/// the backend can back with host memory (a KVM memory slot instead of MMIO exits). The
/// constructor checks everything, because a backend builds descriptors from what a device server
/// or the kernel reported.
/// </summary>
public sealed class PciBarDescriptor
{
    /// <summary>The host page size mmap areas are aligned to.</summary>
    public const ulong PageSize = 4096;

    /// <summary>The smallest memory BAR (PCI 3.0 §6.2.5.1: bits 3:0 are the type, so 16 bytes).</summary>
    public const ulong MinMemorySize = 16;

    /// <summary>The smallest I/O BAR (bits 1:0 are the type and reserved, so 4 bytes).</summary>
    public const ulong MinIoSize = 4;

    /// <summary>The largest I/O BAR (PCI 3.0 §6.2.5.1: "may not request more than 256 bytes").</summary>
    public const ulong MaxIoSize = 256;

    /// <summary>The largest 32-bit memory BAR: 2 GiB, the top address bit.</summary>
    public const ulong MaxMemory32Size = 1UL << 31;

    /// <summary>Describes BAR <paramref name="index"/>.</summary>
    /// <param name="index">The BAR register, 0 to 5; a 64-bit BAR also takes <paramref name="index"/> + 1, so it is 0 to 4.</param>
    /// <param name="size">The size in bytes, a power of two within the limits of <paramref name="kind"/>.</param>
    /// <param name="kind">Memory (32- or 64-bit) or I/O.</param>
    /// <param name="prefetchable">BAR bit 3: reads have no side effects; memory BARs only.</param>
    /// <param name="mmapAreas">Page-aligned, non-overlapping areas inside the BAR the backend can
    /// map with <see cref="IPciFunction.MapArea"/>; memory BARs only; none when null.</param>
    /// <exception cref="ArgumentException">Any of the above does not hold; the message says which.</exception>
    public PciBarDescriptor(int index, ulong size, PciBarKind kind, bool prefetchable = false, IReadOnlyList<PciMmapArea>? mmapAreas = null)
    {
        int lastIndex = kind == PciBarKind.Memory64 ? 4 : 5;
        if (index < 0 || index > lastIndex)
        {
            throw new ArgumentException($"BAR index {index} is outside 0-{lastIndex} for a {kind} BAR", nameof(index));
        }
        (ulong min, ulong max) = kind switch
        {
            PciBarKind.Io => (MinIoSize, MaxIoSize),
            PciBarKind.Memory32 => (MinMemorySize, MaxMemory32Size),
            PciBarKind.Memory64 => (MinMemorySize, 1UL << 63),
            _ => throw new ArgumentException($"unknown BAR kind {kind}", nameof(kind)),
        };
        if (!ulong.IsPow2(size) || size < min || size > max)
        {
            throw new ArgumentException($"BAR {index} size 0x{size:x} is not a power of two in 0x{min:x}-0x{max:x} for a {kind} BAR", nameof(size));
        }
        if (kind == PciBarKind.Io && prefetchable)
        {
            throw new ArgumentException($"BAR {index} is I/O, which has no prefetchable bit", nameof(prefetchable));
        }
        PciMmapArea[] areas = mmapAreas?.ToArray() ?? [];
        if (areas.Length > 0 && kind == PciBarKind.Io)
        {
            throw new ArgumentException($"BAR {index} is I/O, which cannot be mapped", nameof(mmapAreas));
        }
        Array.Sort(areas, static (a, b) => a.Offset.CompareTo(b.Offset));
        for (int i = 0; i < areas.Length; i++)
        {
            PciMmapArea area = areas[i];
            if (area.Size == 0 || area.Offset % PageSize != 0 || area.Size % PageSize != 0 || area.Size > size || area.Offset > size - area.Size)
            {
                throw new ArgumentException($"BAR {index} mmap area {area} is empty, not page aligned or outside the BAR's 0x{size:x} bytes", nameof(mmapAreas));
            }
            if (i > 0 && areas[i - 1].Offset + areas[i - 1].Size > area.Offset)
            {
                throw new ArgumentException($"BAR {index} mmap areas {areas[i - 1]} and {area} overlap", nameof(mmapAreas));
            }
        }
        Index = index;
        Size = size;
        Kind = kind;
        Prefetchable = prefetchable;
        MmapAreas = areas;
    }

    /// <summary>The BAR register index, 0 to 5 (the low half of a 64-bit pair).</summary>
    public int Index { get; }

    /// <summary>The size in bytes, a power of two.</summary>
    public ulong Size { get; }

    /// <summary>Memory (32- or 64-bit) or I/O.</summary>
    public PciBarKind Kind { get; }

    /// <summary>Whether the BAR reports itself prefetchable (bit 3).</summary>
    public bool Prefetchable { get; }

    /// <summary>The areas the backend can back with host memory, sorted by offset; empty when every access traps.</summary>
    public IReadOnlyList<PciMmapArea> MmapAreas { get; }

    /// <summary>Whether the BAR decodes memory rather than I/O ports.</summary>
    public bool IsMemory => Kind != PciBarKind.Io;

    /// <inheritdoc/>
    public override string ToString() =>
        $"BAR{Index} {Kind}{(Prefetchable ? " prefetchable" : "")} 0x{Size:x}{(MmapAreas.Count > 0 ? $" mmap {string.Join(",", MmapAreas)}" : "")}";
}
