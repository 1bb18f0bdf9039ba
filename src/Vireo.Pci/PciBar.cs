using Vireo.Sys;

namespace Vireo.Pci;

/// <summary>
/// A memory BAR: either trapped (every access is a REGION_READ/WRITE answered by the device) or
/// backed by a memfd that the client may mmap (handed out in the region-info reply), with
/// sparse mmap areas; accesses outside those areas stay trapped.
/// </summary>
public sealed class PciBar : IDisposable
{
    private const ulong PageSize = 4096;

    private readonly MappedMemory? _mapping;
    private byte[]? _revokedContents;

    private PciBar(ulong size, bool is64Bit, bool prefetchable, SafeFd? fd, IReadOnlyList<PciMmapArea> areas)
    {
        Size = size;
        Is64Bit = is64Bit;
        Prefetchable = prefetchable;
        MemoryFd = fd;
        MmapAreas = areas;
        if (fd is not null)
        {
            _mapping = MappedMemory.MapShared(fd, size, 0, "mmap BAR memfd");
        }
    }

    /// <summary>The BAR's size in bytes, a power of two.</summary>
    public ulong Size { get; }

    /// <summary>Whether the BAR is 64-bit and so takes two BAR slots (PCI 3.0 §6.2.5.1, type 10b).</summary>
    public bool Is64Bit { get; }

    /// <summary>Whether the BAR reports itself prefetchable (BAR bit 3).</summary>
    public bool Prefetchable { get; }

    /// <summary>The memfd behind a shared-memory BAR; null for a trapped BAR.</summary>
    public SafeFd? MemoryFd { get; }

    /// <summary>Whether the BAR is backed by <see cref="MemoryFd"/> rather than trapped.</summary>
    public bool IsSharedMemory => MemoryFd is not null;

    /// <summary>The page-aligned parts of a shared-memory BAR the client may mmap; empty for a trapped BAR.</summary>
    public IReadOnlyList<PciMmapArea> MmapAreas { get; }

    /// <summary>True while the client's mappings are revoked (device in low power).</summary>
    public bool IsRevoked => _revokedContents is not null;

    /// <summary>A BAR whose every access the device answers; no memory behind it.</summary>
    /// <param name="size">The size in bytes: a power of two, at least 16.</param>
    /// <param name="is64Bit">Whether the BAR is 64-bit.</param>
    public static PciBar Trapped(ulong size, bool is64Bit = false)
    {
        CheckSize(size, 16);
        return new PciBar(size, is64Bit, false, null, []);
    }

    /// <summary>A BAR backed by shared memory; <paramref name="mmapAreas"/> (page aligned) default
    /// to the whole BAR.</summary>
    public static PciBar SharedMemory(ulong size, IReadOnlyList<PciMmapArea>? mmapAreas = null, bool is64Bit = false, bool prefetchable = false)
    {
        CheckSize(size, PageSize);
        mmapAreas ??= [new PciMmapArea(0, size)];
        foreach (PciMmapArea area in mmapAreas)
        {
            if (area.Size == 0 || area.Offset % PageSize != 0 || area.Size % PageSize != 0 || area.Offset > size - area.Size)
            {
                throw new ArgumentException($"mmap area {area} is not page aligned inside the BAR", nameof(mmapAreas));
            }
        }
        SafeFd fd = MemFd.Create("vireo-bar", size);
        try
        {
            return new PciBar(size, is64Bit, prefetchable, fd, mmapAreas);
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }

    /// <summary>Whether the whole access of <paramref name="length"/> bytes at <paramref name="offset"/> lies in one mmap area, so the client could have made it through its mapping.</summary>
    public bool IsInMmapArea(ulong offset, ulong length)
    {
        foreach (PciMmapArea area in MmapAreas)
        {
            if (offset >= area.Offset && length <= area.Size && offset - area.Offset <= area.Size - length)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Reads the shared memory (bounds- and overflow-checked).</summary>
    public void ReadMemory(ulong offset, Span<byte> destination) => Memory(offset, destination.Length).CopyTo(destination);

    /// <summary>Writes the shared memory (bounds- and overflow-checked).</summary>
    public void WriteMemory(ulong offset, ReadOnlySpan<byte> source) => source.CopyTo(Memory(offset, source.Length));

    /// <summary>Cuts the client's mappings: the memfd shrinks to 0, so every mapping of it faults
    /// (SIGBUS) in every process, as vfio-pci's mmaps do while the device is in low power. The
    /// contents move to a private copy that the device keeps using.</summary>
    public void Revoke()
    {
        if (MemoryFd is null || _revokedContents is not null)
        {
            return;
        }
        byte[] copy = new byte[Size];
        ReadMemory(0, copy);
        _revokedContents = copy;
        FileDescriptor.Truncate(MemoryFd, 0);
    }

    /// <summary>Gives the client its mappings back with the contents the device kept.</summary>
    public void Reinstate()
    {
        if (MemoryFd is null || _revokedContents is null)
        {
            return;
        }
        byte[] copy = _revokedContents;
        FileDescriptor.Truncate(MemoryFd, Size);
        _revokedContents = null;
        WriteMemory(0, copy);
    }

    /// <summary>Unmaps the device's view of the shared memory and closes the memfd.</summary>
    public void Dispose()
    {
        _mapping?.Dispose();
        MemoryFd?.Dispose();
    }

    private unsafe Span<byte> Memory(ulong offset, int length)
    {
        if (_mapping is null)
        {
            throw new InvalidOperationException("a trapped BAR has no memory");
        }
        if (length < 0 || offset > Size || (ulong)length > Size - offset)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), offset, $"BAR access of {length} bytes outside {Size}");
        }
        if (_revokedContents is not null)
        {
            return _revokedContents.AsSpan((int)offset, length);
        }
        // Safe: the range was checked against the mapping's length and the mapping lives as long
        // as this BAR; the span does not escape the copy done by the callers.
        return new Span<byte>((byte*)_mapping.DangerousGetAddress() + offset, length);
    }

    private static void CheckSize(ulong size, ulong minimum)
    {
        if (size < minimum || !ulong.IsPow2(size))
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, $"BAR size is a power of two of at least {minimum}");
        }
    }
}
