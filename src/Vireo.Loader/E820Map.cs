using Vireo.Memory;

namespace Vireo.Loader;

/// <summary>The BIOS memory map of a PC-compatible guest built from its RAM regions.</summary>
public static class E820Map
{
    /// <summary>Conventional memory ends where the EBDA starts (the classic 639 KiB boundary).</summary>
    public static readonly GuestAddress EbdaStart = new(0x9fc00);

    /// <summary>The EBDA, VGA window and BIOS area up to 1 MiB are never RAM to the guest.</summary>
    public static readonly GuestAddress HighMemoryStart = new(0x100000);

    /// <summary>
    /// One RAM entry per region of <paramref name="memory"/>, except that a region starting at 0 is
    /// split around the reserved window from <see cref="EbdaStart"/> to <see
    /// cref="HighMemoryStart"/>.
    /// </summary>
    public static IReadOnlyList<E820Entry> For(GuestMemory memory) => For(memory, []);

    /// <summary>
    /// <see cref="For(GuestMemory)"/> plus <paramref name="reserved"/> (device windows the
    /// guest must not use as RAM and may look up, such as PCI ECAM), in address order.
    /// </summary>
    /// <exception cref="ArgumentException">A reserved range overlaps RAM or the legacy hole.</exception>
    public static IReadOnlyList<E820Entry> For(GuestMemory memory, IReadOnlyList<E820Entry> reserved)
    {
        ArgumentNullException.ThrowIfNull(reserved);
        List<E820Entry> entries = Ram(memory);
        foreach (E820Entry r in reserved)
        {
            if (r.Size == 0 || r.Address + r.Size < r.Address || entries.Any(e => r.Address < e.Address + e.Size && e.Address < r.Address + r.Size))
            {
                throw new ArgumentException($"reserved e820 range 0x{r.Address:x}+0x{r.Size:x} is empty, wraps or overlaps the memory map", nameof(reserved));
            }
            entries.Add(r);
        }
        entries.Sort(static (a, b) => a.Address.CompareTo(b.Address));
        return entries;
    }

    private static List<E820Entry> Ram(GuestMemory memory)
    {
        var entries = new List<E820Entry>();
        foreach (GuestRegion region in memory.Regions)
        {
            if (region.Start.Value == 0 && region.End > HighMemoryStart.Value)
            {
                entries.Add(new E820Entry { Address = 0, Size = EbdaStart.Value, Type = E820Type.Ram });
                entries.Add(new E820Entry { Address = EbdaStart.Value, Size = HighMemoryStart.Value - EbdaStart.Value, Type = E820Type.Reserved });
                entries.Add(new E820Entry { Address = HighMemoryStart.Value, Size = region.End - HighMemoryStart.Value, Type = E820Type.Ram });
            }
            else
            {
                entries.Add(new E820Entry { Address = region.Start.Value, Size = region.Size, Type = E820Type.Ram });
            }
        }
        return entries;
    }
}
