using System.Runtime.InteropServices;
using Vireo.Sys;

namespace Vireo.Memory;

/// <summary>
/// One contiguous range of guest RAM: private huge-page memory, or a memfd mapped shared into
/// the VMM so the same pages can be handed to KVM (a memslot) and to device processes (the fd).
/// See <see cref="GuestMemoryBacking"/>.
/// </summary>
public sealed class GuestRegion : IDisposable
{
    private readonly MappedMemory _mapping;

    private GuestRegion(GuestAddress start, ulong size, GuestMemoryBacking backing, SafeFd? fd, MappedMemory mapping, bool hugePagesAdvised)
    {
        Start = start;
        Size = size;
        Backing = backing;
        Fd = fd;
        _mapping = mapping;
        HugePagesAdvised = hugePagesAdvised;
    }

    /// <summary>The guest-physical address of the first byte; page-aligned.</summary>
    public GuestAddress Start { get; }

    /// <summary>Length in bytes; a non-zero multiple of the host page size.</summary>
    public ulong Size { get; }

    /// <summary>One past the last byte; regions never end past 2^64.</summary>
    public ulong End => Start.Value + Size;

    /// <summary>
    /// How the region is backed: private (huge-page advised) or a shareable memfd.
    /// </summary>
    public GuestMemoryBacking Backing { get; }

    /// <summary>The memfd behind a <see cref="GuestMemoryBacking.Shared"/> region, to share it
    /// with device servers; null for private memory, which cannot be shared.</summary>
    public SafeFd? Fd { get; }

    /// <summary>Whether the host accepted the transparent-huge-page advice for this region
    /// (private memory on a host with THP); false means 4 KiB pages.</summary>
    public bool HugePagesAdvised { get; }

    /// <summary>Bytes of this region resident in host RAM now: what the guest (or the loader)
    /// has touched.</summary>
    public ulong ResidentBytes() => _mapping.ResidentBytes();

    /// <summary>
    /// Maps a new region of <paramref name="size"/> bytes at guest <paramref name="start"/>. Both
    /// must be page-aligned and the range must not wrap (<see cref="ArgumentException"/>, <see
    /// cref="GuestMemoryException"/>); <paramref name="name"/> labels the memfd of a shared region
    /// in /proc/PID/fd.
    /// </summary>
    public static GuestRegion Create(GuestAddress start, ulong size, GuestMemoryBacking backing = GuestMemoryBacking.Private, string name = "vireo-ram")
    {
        if (size == 0 || size % (ulong)Environment.SystemPageSize != 0)
        {
            throw new ArgumentException($"guest region size 0x{size:x} must be a non-zero multiple of the page size", nameof(size));
        }
        if (start.Value % (ulong)Environment.SystemPageSize != 0)
        {
            throw new ArgumentException($"guest region start {start} must be page-aligned", nameof(start));
        }
        if (start.TryAdd(size) is null)
        {
            throw new GuestMemoryException(start, size, "wraps the guest address space");
        }
        if (backing == GuestMemoryBacking.Private)
        {
            MappedMemory memory = MappedMemory.MapAnonymousHugePageMemory(size, out bool huge);
            return new GuestRegion(start, size, backing, null, memory, huge);
        }
        if (backing != GuestMemoryBacking.Shared)
        {
            throw new ArgumentOutOfRangeException(nameof(backing), backing, "unknown guest memory backing");
        }
        // Sealable, so a device server can seal it against shrinking and then map it, instead of
        // reaching guest RAM with pread/pwrite (guest RAM never shrinks).
        SafeFd fd = MemFd.Create(name, size, allowSealing: true);
        try
        {
            return new GuestRegion(start, size, backing, fd, MappedMemory.MapShared(fd, size, 0, "mmap guest RAM"), hugePagesAdvised: false);
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }

    /// <summary>True when <paramref name="address"/> lies inside [Start, End).</summary>
    public bool Contains(GuestAddress address) => address.Value >= Start.Value && address.Value - Start.Value < Size;

    /// <summary>The host address of the mapping, for KVM_SET_USER_MEMORY_REGION only.</summary>
    public nint DangerousGetHostAddress() => _mapping.DangerousGetAddress();

    /// <summary>A span over [offset, offset+length) of this region, bounds-checked.</summary>
    internal unsafe Span<byte> Slice(ulong offset, int length)
    {
        if (length < 0 || offset > Size || (ulong)length > Size - offset)
        {
            throw new GuestMemoryException(Start.Add(Math.Min(offset, Size)), (ulong)Math.Max(length, 0), "is outside its region");
        }
        // Safe: [offset, offset+length) was checked to lie inside the mapping, which stays mapped
        // until this region is disposed; spans never outlive a Read/Write call or a caller that
        // holds the GuestMemory alive.
        return new Span<byte>((byte*)_mapping.DangerousGetAddress() + offset, length);
    }

    /// <summary>Unmaps the region and closes its memfd, if any.</summary>
    public void Dispose()
    {
        _mapping.Dispose();
        Fd?.Dispose();
    }
}
