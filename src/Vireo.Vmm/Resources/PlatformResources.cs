namespace Vireo.Vmm;

/// <summary>
/// Hands out the machine's port ranges, MMIO ranges, GSIs and GPEs, so that no two devices are
/// given the same one and every assignment is visible in one list (`Assignments`). Fixed
/// resources (legacy ISA ports, the ACPI PM block, ISA IRQs) are reserved by address; the rest
/// are allocated first-fit from a pool, in the order the builder asks, so one configuration
/// always gets the same layout (the ACPI tables `vireo acpi dump` prints depend on it).
/// Used by the machine builder only, on one thread.
/// </summary>
public sealed class PlatformResources
{
    private readonly List<ResourceAssignment> _assignments = [];
    private readonly Dictionary<ResourceKind, (ulong Start, ulong End)> _pools = [];

    /// <param name="pioPool">Ports for devices placed by the allocator.</param>
    /// <param name="mmioPool">Guest-physical MMIO for devices placed by the allocator.</param>
    /// <param name="gsiPool">GSIs for devices' interrupts (above the ISA IRQs).</param>
    /// <param name="gpeCount">GPEs in the GPE0 block; all of them form the GPE pool.</param>
    public PlatformResources((ushort Start, ushort End) pioPool, (ulong Start, ulong End) mmioPool, (uint Start, uint End) gsiPool, int gpeCount)
    {
        SetPool(ResourceKind.Pio, pioPool.Start, pioPool.End);
        SetPool(ResourceKind.Mmio, mmioPool.Start, mmioPool.End);
        SetPool(ResourceKind.Gsi, gsiPool.Start, gsiPool.End);
        SetPool(ResourceKind.Gpe, 0, (ulong)gpeCount);
    }

    /// <summary>The x86 PC layout Vireo's Linux machine uses: ports 0x630–0xcf7 after the ACPI PM
    /// block (below the PCI configuration ports), MMIO in the 32-bit hole up to the IOAPIC,
    /// GSIs 16–23 (the IOAPIC pins above the ISA IRQs), and the PM device's GPE0 block.</summary>
    public static PlatformResources ForPc(int gpeCount) => new(
        pioPool: (0x630, 0xcf8),
        mmioPool: (MemoryLayout.MmioHoleStart.Value, 0xfec0_0000),
        gsiPool: (16, 24),
        gpeCount);

    /// <summary>Every assignment, in the order made.</summary>
    public IReadOnlyList<ResourceAssignment> Assignments => _assignments;

    /// <summary>Takes [start, start+length) of <paramref name="kind"/>, which may lie inside or
    /// outside the pool (legacy devices sit at fixed addresses).</summary>
    public ResourceAssignment Reserve(ResourceKind kind, ulong start, ulong length, string owner)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        if (length == 0 || start + length < start)
        {
            throw new ResourceConflictException($"{owner}: an empty or wrapping {kind} range at 0x{start:x} (length {length})");
        }
        if (FindOverlap(kind, start, length) is ResourceAssignment taken)
        {
            throw new ResourceConflictException($"{owner} wants {new ResourceAssignment(kind, start, length, owner)}, which overlaps {taken}");
        }
        var assignment = new ResourceAssignment(kind, start, length, owner);
        _assignments.Add(assignment);
        return assignment;
    }

    /// <summary>The lowest free, <paramref name="alignment"/>-aligned range of
    /// <paramref name="length"/> in the pool of <paramref name="kind"/>.</summary>
    public ResourceAssignment Allocate(ResourceKind kind, ulong length, string owner, ulong alignment = 1)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        if (length == 0 || alignment == 0 || (alignment & (alignment - 1)) != 0)
        {
            throw new ResourceConflictException($"{owner}: a {kind} allocation needs a nonzero length and a power-of-two alignment (got {length}, {alignment})");
        }
        (ulong poolStart, ulong poolEnd) = _pools[kind];
        ulong candidate = AlignUp(poolStart, alignment);
        while (candidate + length <= poolEnd && candidate + length > candidate)
        {
            if (FindOverlap(kind, candidate, length) is not ResourceAssignment taken)
            {
                var assignment = new ResourceAssignment(kind, candidate, length, owner);
                _assignments.Add(assignment);
                return assignment;
            }
            candidate = AlignUp(taken.End, alignment);
        }
        throw new ResourceConflictException($"{owner}: no free {kind} range of {length} in 0x{poolStart:x}-0x{poolEnd - 1:x}; taken: " +
            string.Join(", ", _assignments.Where(a => a.Kind == kind)));
    }

    private void SetPool(ResourceKind kind, ulong start, ulong end)
    {
        // An empty pool is a machine without that kind (the arm64 machine has no ports or GPEs):
        // every allocation from it fails, naming the pool.
        if (end < start)
        {
            throw new ArgumentOutOfRangeException(nameof(end), $"the {kind} pool [0x{start:x}, 0x{end:x}) ends before it starts");
        }
        _pools[kind] = (start, end);
    }

    private ResourceAssignment? FindOverlap(ResourceKind kind, ulong start, ulong length) =>
        _assignments.FirstOrDefault(a => a.Kind == kind && a.Start < start + length && start < a.End);

    private static ulong AlignUp(ulong value, ulong alignment) => (value + alignment - 1) & ~(alignment - 1);
}
