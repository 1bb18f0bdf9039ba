using System.Runtime.InteropServices;

namespace Vireo.Sys;

/// <summary>An mmap'd range, unmapped exactly once when released.</summary>
public sealed class MappedMemory : SafeHandle
{
    private const int ProtRead = 1;
    private const int ProtWrite = 2;
    private const int MapSharedFlag = 0x01;
    private const int MapPrivate = 0x02;
    private const int MapAnonymous = 0x20;
    private const int MapNoReserve = 0x4000;

    // asm-generic/mman-common.h: MADV_HUGEPAGE asks for transparent huge pages on the range.
    private const int MadvHugePage = 14;

    /// <summary>The x86-64 PMD size: a transparent huge page, and what KVM maps with one
    /// nested-page-table entry when the host range behind a memslot is backed by one.</summary>
    public const ulong HugePageSize = 2UL << 20;

    private MappedMemory(nint address, ulong length)
        : base(invalidHandleValue: 0, ownsHandle: true)
    {
        SetHandle(address);
        Length = length;
    }

    /// <summary>The mapped length in bytes, as passed to mmap and later to munmap.</summary>
    public ulong Length { get; }

    /// <inheritdoc/>
    public override bool IsInvalid => handle == 0;

    /// <summary>
    /// How many bytes of the range are resident in RAM now (mincore(2), page by page): for
    /// guest RAM, what the guest has touched, which a footprint subtracts from the process's RSS.
    /// </summary>
    public unsafe ulong ResidentBytes()
    {
        const int chunkPages = 4096;
        ulong page = (ulong)Environment.SystemPageSize;
        ulong pages = (Length + page - 1) / page;
        byte* vector = stackalloc byte[chunkPages];
        ulong resident = 0;
        bool added = false;
        try
        {
            DangerousAddRef(ref added);
            for (ulong first = 0; first < pages; first += chunkPages)
            {
                ulong count = Math.Min(chunkPages, pages - first);
                if (Interop.Sys.Mincore(handle + (nint)(first * page), (nuint)(count * page), vector) != 0)
                {
                    throw ErrnoException.FromLastError("mincore");
                }
                for (ulong i = 0; i < count; i++)
                {
                    resident += (ulong)(vector[i] & 1);
                }
            }
        }
        finally
        {
            if (added)
            {
                DangerousRelease();
            }
        }
        return resident * page;
    }

    /// <summary>Maps <paramref name="length"/> bytes of <paramref name="fd"/> shared, read-write.</summary>
    public static MappedMemory MapShared(SafeFd fd, ulong length, long offset = 0, string what = "mmap")
        => Map(fd, length, offset, ProtRead | ProtWrite, MapSharedFlag, what);

    /// <summary>Maps <paramref name="length"/> bytes of <paramref name="fd"/> shared, read-only.</summary>
    public static MappedMemory MapSharedReadOnly(SafeFd fd, ulong length, long offset = 0, string what = "mmap")
        => Map(fd, length, offset, ProtRead, MapSharedFlag, what);

    /// <summary>Anonymous private memory that is not charged until touched.</summary>
    public static MappedMemory MapAnonymousMemory(ulong length)
    {
        nint address = Interop.Sys.MmapAnonymous(0, (nuint)length, ProtRead | ProtWrite, MapPrivate | MapAnonymous | MapNoReserve, -1, 0);
        if (address == Interop.Sys.MapFailed)
        {
            throw ErrnoException.FromLastError("mmap anonymous");
        }
        return new MappedMemory(address, length);
    }

    /// <summary>
    /// Anonymous private memory, not charged until touched, aligned to <see cref="HugePageSize"/>
    /// and advised for transparent huge pages, so that the kernel (and KVM, for guest RAM) can
    /// back it with 2 MiB pages: one fault and one nested-page entry per 2 MiB instead of 512.
    /// Where THP is off or unsupported the advice is refused and the range works with 4 KiB
    /// pages; <paramref name="hugePagesAdvised"/> says which.
    /// </summary>
    public static MappedMemory MapAnonymousHugePageMemory(ulong length, out bool hugePagesAdvised)
    {
        ArgumentOutOfRangeException.ThrowIfZero(length);
        // mmap only promises page alignment; over-allocate by one huge page and cut the
        // unaligned head and the tail off again.
        ulong padded = checked(length + HugePageSize);
        nint raw = Interop.Sys.MmapAnonymous(0, (nuint)padded, ProtRead | ProtWrite, MapPrivate | MapAnonymous | MapNoReserve, -1, 0);
        if (raw == Interop.Sys.MapFailed)
        {
            throw ErrnoException.FromLastError("mmap anonymous");
        }
        ulong start = ((ulong)raw + HugePageSize - 1) & ~(HugePageSize - 1);
        ulong head = start - (ulong)raw;
        ulong tail = padded - head - length;
        // Unmapping parts of a fresh private mapping cannot fail but for bad arguments.
        if (head != 0)
        {
            Interop.Sys.Munmap(raw, (nuint)head);
        }
        if (tail != 0)
        {
            Interop.Sys.Munmap((nint)(start + length), (nuint)tail);
        }
        hugePagesAdvised = Interop.Sys.Madvise((nint)start, (nuint)length, MadvHugePage) == 0;
        return new MappedMemory((nint)start, length);
    }

    private static MappedMemory Map(SafeFd fd, ulong length, long offset, int prot, int flags, string what)
    {
        ArgumentOutOfRangeException.ThrowIfZero(length);
        nint address = Interop.Sys.Mmap(0, (nuint)length, prot, flags, fd, offset);
        if (address == Interop.Sys.MapFailed)
        {
            throw ErrnoException.FromLastError(what);
        }
        return new MappedMemory(address, length);
    }

    /// <summary>The mapping's address. Valid only while the caller keeps this handle alive;
    /// callers in Vireo.Memory and Vireo.Kvm wrap it in bounds-checked accessors.</summary>
    public nint DangerousGetAddress() => handle;

    /// <inheritdoc/>
    protected override bool ReleaseHandle() => Interop.Sys.Munmap(handle, (nuint)Length) == 0;
}
