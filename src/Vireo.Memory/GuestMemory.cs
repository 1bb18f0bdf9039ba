using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Vireo.Memory;

/// <summary>
/// The guest's physical RAM: non-overlapping regions with bounds- and overflow-checked typed
/// access. Accesses may span adjacent regions; an access touching a hole throws.
/// </summary>
public sealed class GuestMemory : IDisposable
{
    private readonly GuestRegion[] _regions;

    /// <summary>
    /// Takes ownership of <paramref name="regions"/> (disposed with this object); they are sorted
    /// by start and must not overlap, or <see cref="ArgumentException"/> is thrown.
    /// </summary>
    public GuestMemory(IEnumerable<GuestRegion> regions)
    {
        _regions = [.. regions.OrderBy(r => r.Start.Value)];
        for (int i = 1; i < _regions.Length; i++)
        {
            if (_regions[i].Start.Value < _regions[i - 1].End)
            {
                throw new ArgumentException($"guest regions at {_regions[i - 1].Start} and {_regions[i].Start} overlap", nameof(regions));
            }
        }
    }

    /// <summary>
    /// The regions, sorted by guest address, e.g. to register each as a KVM memslot.
    /// </summary>
    public IReadOnlyList<GuestRegion> Regions => _regions;

    /// <summary>Total bytes of RAM.</summary>
    public ulong Size => _regions.Aggregate(0UL, (sum, r) => sum + r.Size);

    /// <summary>Guest RAM laid out as one private (huge-page) region per range.</summary>
    public static GuestMemory Create(params ReadOnlySpan<(GuestAddress Start, ulong Size)> ranges)
        => Create(GuestMemoryBacking.Private, ranges);

    /// <summary>Guest RAM laid out as one region per range, each with <paramref name="backing"/>.</summary>
    public static GuestMemory Create(GuestMemoryBacking backing, params ReadOnlySpan<(GuestAddress Start, ulong Size)> ranges)
    {
        var regions = new List<GuestRegion>(ranges.Length);
        try
        {
            foreach ((GuestAddress start, ulong size) in ranges)
            {
                regions.Add(GuestRegion.Create(start, size, backing));
            }
            return new GuestMemory(regions);
        }
        catch
        {
            regions.ForEach(r => r.Dispose());
            throw;
        }
    }

    /// <summary>
    /// Reads a <typeparamref name="T"/> at <paramref name="address"/> (little-endian, may span
    /// adjacent regions); throws <see cref="GuestMemoryException"/> if any byte is not RAM or the
    /// range wraps.
    /// </summary>
    public T Read<T>(GuestAddress address)
        where T : unmanaged
    {
        Span<byte> bytes = stackalloc byte[Unsafe.SizeOf<T>()];
        Read(address, bytes);
        return MemoryMarshal.Read<T>(bytes);
    }

    /// <summary>
    /// Writes <paramref name="value"/> at <paramref name="address"/> with the same checks as <see
    /// cref="Read{T}(GuestAddress)"/>.
    /// </summary>
    public void Write<T>(GuestAddress address, T value)
        where T : unmanaged
    {
        Span<byte> bytes = stackalloc byte[Unsafe.SizeOf<T>()];
        MemoryMarshal.Write(bytes, in value);
        Write(address, bytes);
    }

    /// <summary>
    /// Copies guest bytes from <paramref name="address"/> into <paramref name="destination"/>;
    /// throws <see cref="GuestMemoryException"/> before copying past RAM or a wrap.
    /// </summary>
    public void Read(GuestAddress address, Span<byte> destination)
    {
        ulong done = 0;
        while (done < (ulong)destination.Length)
        {
            Span<byte> chunk = Chunk(address, (ulong)destination.Length, done);
            chunk.CopyTo(destination[(int)done..]);
            done += (ulong)chunk.Length;
        }
    }

    /// <summary>
    /// Copies <paramref name="source"/> into guest RAM at <paramref name="address"/>; throws <see
    /// cref="GuestMemoryException"/> if the range is not all RAM or wraps.
    /// </summary>
    public void Write(GuestAddress address, ReadOnlySpan<byte> source)
    {
        ulong done = 0;
        while (done < (ulong)source.Length)
        {
            Span<byte> chunk = Chunk(address, (ulong)source.Length, done);
            source.Slice((int)done, chunk.Length).CopyTo(chunk);
            done += (ulong)chunk.Length;
        }
    }

    /// <summary>A span over guest RAM that lies inside one region (for DMA-style bulk access).
    /// It must not be kept beyond the lifetime of this GuestMemory.</summary>
    public Span<byte> GetSpan(GuestAddress address, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        CheckNoWrap(address, (ulong)length);
        GuestRegion region = FindRegion(address, (ulong)length);
        return region.Slice(address.Value - region.Start.Value, length);
    }

    /// <summary>Bytes of guest RAM resident in host RAM now, over every region.</summary>
    public ulong ResidentBytes() => _regions.Aggregate(0UL, (sum, r) => sum + r.ResidentBytes());

    /// <summary>True when every byte of [address, address+length) is RAM.</summary>
    public bool IsRange(GuestAddress address, ulong length)
    {
        if (address.TryAdd(length) is null)
        {
            return false;
        }
        ulong cursor = address.Value;
        ulong end = address.Value + length;
        while (cursor < end)
        {
            GuestRegion? region = Find(new GuestAddress(cursor));
            if (region is null)
            {
                return false;
            }
            cursor = region.End;
        }
        return true;
    }

    /// <summary>
    /// Unmaps every region (and closes shared memfds). Spans from <see cref="GetSpan"/> are invalid
    /// afterwards.
    /// </summary>
    public void Dispose()
    {
        foreach (GuestRegion region in _regions)
        {
            region.Dispose();
        }
    }

    private Span<byte> Chunk(GuestAddress address, ulong length, ulong done)
    {
        CheckNoWrap(address, length);
        var at = new GuestAddress(address.Value + done);
        GuestRegion region = Find(at) ?? throw new GuestMemoryException(address, length, $"touches {at}, which is not RAM");
        ulong offset = at.Value - region.Start.Value;
        ulong take = Math.Min(length - done, region.Size - offset);
        return region.Slice(offset, (int)take);
    }

    private GuestRegion FindRegion(GuestAddress address, ulong length)
    {
        GuestRegion region = Find(address) ?? throw new GuestMemoryException(address, length, "is not RAM");
        if (length > region.End - address.Value)
        {
            throw new GuestMemoryException(address, length, "crosses the end of its region");
        }
        return region;
    }

    private static void CheckNoWrap(GuestAddress address, ulong length)
    {
        if (address.TryAdd(length) is null)
        {
            throw new GuestMemoryException(address, length, "wraps the guest address space");
        }
    }

    private GuestRegion? Find(GuestAddress address)
    {
        int lo = 0;
        int hi = _regions.Length - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            GuestRegion region = _regions[mid];
            if (address.Value < region.Start.Value)
            {
                hi = mid - 1;
            }
            else if (address.Value >= region.End)
            {
                lo = mid + 1;
            }
            else
            {
                return region;
            }
        }
        return null;
    }
}
