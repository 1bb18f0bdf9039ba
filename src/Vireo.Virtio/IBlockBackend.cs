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
