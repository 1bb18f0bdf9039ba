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

    private MappedMemory(nint address, ulong length)
        : base(invalidHandleValue: 0, ownsHandle: true)
    {
        SetHandle(address);
        Length = length;
    }

    public ulong Length { get; }

    public override bool IsInvalid => handle == 0;

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

    protected override bool ReleaseHandle() => Interop.Sys.Munmap(handle, (nuint)Length) == 0;
}
