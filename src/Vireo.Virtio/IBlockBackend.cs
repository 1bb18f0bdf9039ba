using Vireo.Sys;

namespace Vireo.Virtio;

/// <summary>Where a block device's bytes live: a disk image, a host block device, memory in
/// tests. Offsets and lengths come already checked against <see cref="Size"/> by the device;
/// a failure of the storage is an <see cref="IOException"/>, which the device reports to the
/// guest as an I/O error for that request alone.</summary>
/// <remarks>Calls are synchronous and made by one caller at a time for now; an implementation
/// that is also safe for concurrent calls lets a threaded executor use it later.</remarks>
public interface IBlockBackend
{
    /// <summary>The disk's size in bytes; the device exposes the whole 512-byte sectors in it.</summary>
    long Size { get; }

    /// <summary>True when the disk cannot be written: the device offers VIRTIO_BLK_F_RO and fails every write.</summary>
    bool ReadOnly { get; }

    /// <summary>Fills <paramref name="data"/> from <paramref name="offset"/>.</summary>
    /// <param name="offset">The byte offset in the disk.</param>
    /// <param name="data">The bytes to fill, all of them.</param>
    /// <exception cref="IOException">The storage failed or ended early.</exception>
    void ReadAt(long offset, Span<byte> data);

    /// <summary>Writes all of <paramref name="data"/> at <paramref name="offset"/>.</summary>
    /// <param name="offset">The byte offset in the disk.</param>
    /// <param name="data">The bytes to write.</param>
    /// <exception cref="IOException">The storage failed.</exception>
    void WriteAt(long offset, ReadOnlySpan<byte> data);

    /// <summary>Fills <paramref name="segments"/>, in order, from <paramref name="offset"/>: a
    /// request's data buffers in guest RAM, filled in place (a file does it in one preadv). By
    /// default, one <see cref="ReadAt(long, Span{byte})"/> per segment.</summary>
    /// <param name="offset">The byte offset in the disk.</param>
    /// <param name="segments">Native memory mapped for the call, all of it filled.</param>
    /// <exception cref="IOException">The storage failed or ended early.</exception>
    void ReadAt(long offset, ReadOnlySpan<IoSegment> segments) => BlockSegments.ReadEach(this, offset, segments);

    /// <summary>Writes <paramref name="segments"/>, in order, at <paramref name="offset"/> (a
    /// file does it in one pwritev). By default, one <see cref="WriteAt(long, ReadOnlySpan{byte})"/> per segment.</summary>
    /// <param name="offset">The byte offset in the disk.</param>
    /// <param name="segments">Native memory mapped for the call.</param>
    /// <exception cref="IOException">The storage failed.</exception>
    void WriteAt(long offset, ReadOnlySpan<IoSegment> segments) => BlockSegments.WriteEach(this, offset, segments);

    /// <summary>Makes every completed write durable (fdatasync for a file).</summary>
    /// <exception cref="IOException">The storage failed; earlier writes may be lost.</exception>
    void Flush();

    /// <summary>The guest no longer needs the range: the backend may free it. Its contents
    /// afterwards are unspecified (§5.2.6.2).</summary>
    /// <param name="offset">The byte offset in the disk.</param>
    /// <param name="length">The length in bytes, positive.</param>
    /// <exception cref="IOException">The storage failed.</exception>
    void Discard(long offset, long length);

    /// <summary>Makes the range read as zeroes, deallocating it if <paramref name="unmap"/>
    /// allows and the storage can.</summary>
    /// <param name="offset">The byte offset in the disk.</param>
    /// <param name="length">The length in bytes, positive.</param>
    /// <param name="unmap">The driver allows deallocation (VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP).</param>
    /// <exception cref="IOException">The storage failed.</exception>
    void WriteZeroes(long offset, long length, bool unmap);
}

/// <summary>The per-segment defaults of <see cref="IBlockBackend"/>'s vectored calls, for
/// backends that have no vectored path of their own (or not for every request).</summary>
internal static class BlockSegments
{
    /// <summary>One span read per segment.</summary>
    public static unsafe void ReadEach(IBlockBackend backend, long offset, ReadOnlySpan<IoSegment> segments)
    {
        foreach (IoSegment segment in segments)
        {
            backend.ReadAt(offset, new Span<byte>((void*)segment.Address, segment.Length));
            offset += segment.Length;
        }
    }

    /// <summary>One span write per segment.</summary>
    public static unsafe void WriteEach(IBlockBackend backend, long offset, ReadOnlySpan<IoSegment> segments)
    {
        foreach (IoSegment segment in segments)
        {
            backend.WriteAt(offset, new ReadOnlySpan<byte>((void*)segment.Address, segment.Length));
            offset += segment.Length;
        }
    }
}
