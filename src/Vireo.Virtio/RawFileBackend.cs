using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Vireo.Sys;

namespace Vireo.Virtio;

/// <summary>A raw disk image in a host file: sector n is bytes n × 512 of the file. Reads and
/// writes are pread/pwrite through <see cref="RandomAccess"/>, <see cref="Flush"/> is
/// fdatasync(2), and discards punch holes (fallocate), writing zeroes where the file system
/// cannot. By default the file goes through the host's page cache; durability is what the
/// guest's flushes ask for. With <see cref="Direct"/> it is opened O_DIRECT, so guest I/O
/// bypasses the page cache, and the backend aligns every transfer itself.</summary>
/// <remarks>A read-write image is opened with an exclusive advisory lock (flock) and a read-only
/// one with a shared lock, as .NET does for <see cref="FileShare.None"/> and
/// <see cref="FileShare.Read"/>, so two VMs cannot write one image. Safe for concurrent calls;
/// direct transfers are serialised, as they share one aligned bounce buffer and a partial block
/// is read, modified and written back whole.</remarks>
public sealed class RawFileBackend : IBlockBackend, IDisposable
{
    /// <summary>The largest zero-filled write issued where the file system cannot zero a range itself.</summary>
    public const int ZeroChunk = 64 * 1024;

    /// <summary>The aligned bounce buffer of a direct image (at least; a larger direct-I/O alignment widens it).</summary>
    public const int DirectChunk = 256 * 1024;

    private static readonly byte[] s_zeroes = new byte[ZeroChunk];

    private readonly SafeFileHandle _file;
    private readonly Lock _directLock = new();
    private readonly byte[]? _bounceArray;
    private readonly int _bounceOffset;
    private readonly int _bounceLength;
    private volatile bool _cannotPunch;
    private volatile bool _cannotZeroRange;

    /// <summary>Opens the image at <paramref name="path"/>; its size now is the disk's size.</summary>
    /// <param name="path">A regular file.</param>
    /// <param name="readOnly">Open for reading only: the disk is read-only to the guest.</param>
    /// <param name="direct">Open with O_DIRECT: guest I/O bypasses the host page cache. Transfers
    /// are aligned to what the file requires (<see cref="FileStorage.GetDirectIoAlignment"/>)
    /// through an aligned bounce buffer, a partial block read, modified and written whole.</param>
    /// <exception cref="IOException">The file cannot be opened (missing, locked by another user, ...).</exception>
    /// <exception cref="DirectIoUnsupportedException"><paramref name="direct"/> was asked of a file
    /// system that refuses O_DIRECT.</exception>
    /// <exception cref="UnauthorizedAccessException">The host denies the access asked for.</exception>
    public RawFileBackend(string path, bool readOnly = false, bool direct = false)
        : this(path, readOnly, direct, VirtioBlock.SectorSize)
    {
    }

    // minimumAlignment lets tests run the read-modify-write paths of a 4 KiB-sector disk on a
    // file system that reports 512.
    internal RawFileBackend(string path, bool readOnly, bool direct, int minimumAlignment)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = path;
        ReadOnly = readOnly;
        _file = File.OpenHandle(path, FileMode.Open, readOnly ? FileAccess.Read : FileAccess.ReadWrite, readOnly ? FileShare.Read : FileShare.None);
        try
        {
            Size = RandomAccess.GetLength(_file);
            if (direct)
            {
                // O_DIRECT is set after the open so the image keeps .NET's flock and handle.
                DirectIoAlignment alignment = OpenDirect();
                Alignment = Math.Max(alignment.Offset, minimumAlignment);
                int memoryAlignment = Math.Max(Math.Max(alignment.Memory, Alignment), 4096);
                _bounceLength = Math.Max(DirectChunk, 2 * Alignment);
                // A pinned array (POH) aligned by offset: never moved, freed with the backend
                // without a Dispose racing an I/O in flight.
                _bounceArray = GC.AllocateUninitializedArray<byte>(_bounceLength + memoryAlignment, pinned: true);
                long address = Marshal.UnsafeAddrOfPinnedArrayElement(_bounceArray, 0).ToInt64();
                _bounceOffset = (int)((memoryAlignment - (address % memoryAlignment)) % memoryAlignment);
                Direct = true;
            }
        }
        catch
        {
            _file.Dispose();
            throw;
        }
    }

    /// <summary>The image's path, as given.</summary>
    public string Path { get; }

    /// <summary>True when the image is open with O_DIRECT.</summary>
    public bool Direct { get; }

    /// <summary>The offset and length alignment of direct transfers in bytes; 0 without <see cref="Direct"/>.</summary>
    public int Alignment { get; }

    /// <inheritdoc/>
    public long Size { get; }

    /// <inheritdoc/>
    public bool ReadOnly { get; }

    /// <inheritdoc/>
    public void ReadAt(long offset, Span<byte> data)
    {
        CheckRange(offset, data.Length);
        if (Direct)
        {
            lock (_directLock)
            {
                ReadDirect(offset, data);
            }
            return;
        }
        ReadFully(offset, data, data.Length);
    }

    /// <inheritdoc/>
    /// <remarks>One preadv into the segments; a direct image takes that path only when the
    /// offset and every segment are aligned as O_DIRECT needs, else each segment goes through
    /// the bounce buffer.</remarks>
    public void ReadAt(long offset, ReadOnlySpan<IoSegment> segments)
    {
        CheckRange(offset, IoSegment.TotalLength(segments));
        if (Direct && !Aligned(offset, segments))
        {
            BlockSegments.ReadEach(this, offset, segments);
            return;
        }
        Vectored(offset, segments, write: false);
    }

    /// <inheritdoc/>
    /// <remarks>One pwritev from the segments, under the same alignment rule as reads for a direct image.</remarks>
    /// <exception cref="InvalidOperationException">The image was opened read-only.</exception>
    public void WriteAt(long offset, ReadOnlySpan<IoSegment> segments)
    {
        CheckWritable();
        long total = IoSegment.TotalLength(segments);
        CheckRange(offset, total);
        if (Direct && !(Aligned(offset, segments) && offset + total <= AlignDown(Size)))
        {
            BlockSegments.WriteEach(this, offset, segments);
            return;
        }
        Vectored(offset, segments, write: true);
    }

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">The image was opened read-only.</exception>
    public void WriteAt(long offset, ReadOnlySpan<byte> data)
    {
        CheckWritable();
        CheckRange(offset, data.Length);
        Write(offset, data);
    }

    /// <inheritdoc/>
    public void Flush()
    {
        try
        {
            FileStorage.DataSync(_file);
        }
        catch (ErrnoException e)
        {
            throw new IOException($"{Path}: {e.Message}", e);
        }
    }

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">The image was opened read-only.</exception>
    public void Discard(long offset, long length)
    {
        CheckWritable();
        CheckRange(offset, length);
        if (length != 0 && !TryPunch(offset, length))
        {
            WriteZeroBytes(offset, length);
        }
    }

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">The image was opened read-only.</exception>
    public void WriteZeroes(long offset, long length, bool unmap)
    {
        CheckWritable();
        CheckRange(offset, length);
        if (length == 0 || (unmap && TryPunch(offset, length)))
        {
            return;
        }
        if (!_cannotZeroRange)
        {
            try
            {
                if (FileStorage.TryZeroRange(_file, offset, length))
                {
                    return;
                }
            }
            catch (ErrnoException e)
            {
                throw new IOException($"{Path}: {e.Message}", e);
            }
            _cannotZeroRange = true;
        }
        WriteZeroBytes(offset, length);
    }

    /// <summary>Closes the image.</summary>
    public void Dispose() => _file.Dispose();

    // The open image, for an engine that issues its own vectored transfers (UringBlockIo).
    internal SafeFileHandle Handle => _file;

    // Whether a vectored transfer of `segments` at `offset` goes to the file as it is, as the
    // vectored ReadAt/WriteAt would do it (true, except a direct image's unaligned transfer or
    // write into the last partial block, which go through the bounce buffer).
    internal bool TransfersInPlace(long offset, ReadOnlySpan<IoSegment> segments, bool write)
        => !Direct || (Aligned(offset, segments) && (!write || offset + IoSegment.TotalLength(segments) <= AlignDown(Size)));

    private bool TryPunch(long offset, long length)
    {
        if (_cannotPunch)
        {
            return false;
        }
        try
        {
            if (FileStorage.TryPunchHole(_file, offset, length))
            {
                return true;
            }
        }
        catch (ErrnoException e)
        {
            throw new IOException($"{Path}: {e.Message}", e);
        }
        _cannotPunch = true;
        return false;
    }

    private void WriteZeroBytes(long offset, long length)
    {
        for (long done = 0; done < length; done += ZeroChunk)
        {
            Write(offset + done, s_zeroes.AsSpan(0, (int)Math.Min(ZeroChunk, length - done)));
        }
    }

    private void Write(long offset, ReadOnlySpan<byte> data)
    {
        if (!Direct)
        {
            RandomAccess.Write(_file, data, offset);
            return;
        }
        lock (_directLock)
        {
            // Whole blocks go direct; a tail past the last whole block of an image whose size is
            // not a multiple of the alignment cannot (an aligned write would grow the file), so it
            // goes through the page cache, which a later direct read of it writes back first.
            long directEnd = AlignDown(Size);
            int direct = (int)Math.Clamp(directEnd - offset, 0, data.Length);
            WriteDirect(offset, data[..direct]);
            if (direct < data.Length)
            {
                SetDirect(false);
                try
                {
                    RandomAccess.Write(_file, data[direct..], offset + direct);
                }
                finally
                {
                    SetDirect(true);
                }
            }
        }
    }

    private void Vectored(long offset, ReadOnlySpan<IoSegment> segments, bool write)
    {
        try
        {
            if (write)
            {
                FileStorage.WriteAt(_file, segments, offset);
            }
            else
            {
                FileStorage.ReadAt(_file, segments, offset);
            }
        }
        catch (ErrnoException e)
        {
            throw new IOException($"{Path}: {e.Message}", e);
        }
    }

    private bool Aligned(long offset, ReadOnlySpan<IoSegment> segments)
    {
        if (offset % Alignment != 0)
        {
            return false;
        }
        foreach (IoSegment segment in segments)
        {
            if (segment.Address % Alignment != 0 || segment.Length % Alignment != 0)
            {
                return false;
            }
        }
        return true;
    }

    private Span<byte> Bounce => _bounceArray.AsSpan(_bounceOffset, _bounceLength);

    // Each round reads the aligned blocks around the next bounce buffer's worth of the request.
    private void ReadDirect(long offset, Span<byte> data)
    {
        for (int done = 0; done < data.Length;)
        {
            long position = offset + done;
            long blockStart = AlignDown(position);
            int skip = (int)(position - blockStart);
            int take = Math.Min(data.Length - done, _bounceLength - skip);
            Span<byte> window = Bounce[..(int)AlignUp(skip + take)];
            ReadFully(blockStart, window, skip + take);
            window.Slice(skip, take).CopyTo(data[done..]);
            done += take;
        }
    }

    private void WriteDirect(long offset, ReadOnlySpan<byte> data)
    {
        for (int done = 0; done < data.Length;)
        {
            long position = offset + done;
            long blockStart = AlignDown(position);
            int skip = (int)(position - blockStart);
            int take = Math.Min(data.Length - done, _bounceLength - skip);
            Span<byte> window = Bounce[..(int)AlignUp(skip + take)];
            // A block the write covers only in part keeps the rest of its bytes.
            if (skip != 0)
            {
                ReadFully(blockStart, window[..Alignment], Alignment);
            }
            if ((skip + take) % Alignment != 0 && (window.Length > Alignment || skip == 0))
            {
                ReadFully(blockStart + window.Length - Alignment, window[^Alignment..], Alignment);
            }
            data.Slice(done, take).CopyTo(window[skip..]);
            RandomAccess.Write(_file, window, blockStart);
            done += take;
        }
    }

    // Reads into `buffer` (for a direct image, whole blocks into an aligned window) until at
    // least `needed` bytes came: fewer means the file was cut short under the disk.
    private void ReadFully(long offset, Span<byte> buffer, int needed)
    {
        int done = 0;
        while (done < needed)
        {
            int n = RandomAccess.Read(_file, buffer[done..], offset + done);
            if (n == 0)
            {
                throw new IOException($"{Path} ends at byte {offset + done}, inside a read of {needed} bytes at {offset} (was it truncated?)");
            }
            done += n;
        }
    }

    private long AlignDown(long value) => value - (value % Alignment);

    private long AlignUp(long value) => AlignDown(value + Alignment - 1);

    private DirectIoAlignment OpenDirect()
    {
        try
        {
            DirectIoAlignment? alignment = FileStorage.GetDirectIoAlignment(_file);
            if (alignment is not DirectIoAlignment known)
            {
                throw new DirectIoUnsupportedException($"{Path}: the file system does not support direct I/O (statx reports no O_DIRECT alignment); drop `direct` to use the host page cache");
            }
            if (!int.IsPow2(known.Offset) || !int.IsPow2(Math.Max(known.Memory, 1)) || known.Offset > 1 << 20 || known.Memory > 1 << 20)
            {
                throw new IOException($"{Path}: unusable direct I/O alignment (memory {known.Memory}, offset {known.Offset} bytes); drop `direct`");
            }
            FileStorage.SetDirectIo(_file, true);
            return known;
        }
        catch (ErrnoException e) when (e.Errno == Errno.EINVAL)
        {
            throw new DirectIoUnsupportedException($"{Path}: the file system refuses O_DIRECT ({e.Message}); drop `direct` to use the host page cache", e);
        }
        catch (ErrnoException e)
        {
            throw new IOException($"{Path}: cannot open for direct I/O: {e.Message}", e);
        }
    }

    private void SetDirect(bool enabled)
    {
        try
        {
            FileStorage.SetDirectIo(_file, enabled);
        }
        catch (ErrnoException e)
        {
            throw new IOException($"{Path}: {e.Message}", e);
        }
    }

    private void CheckWritable()
    {
        if (ReadOnly)
        {
            throw new InvalidOperationException($"{Path} was opened read-only");
        }
    }

    private void CheckRange(long offset, long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (length > Size - offset)
        {
            throw new ArgumentOutOfRangeException(nameof(length), $"{length} bytes at {offset} run past the disk's {Size} bytes");
        }
    }
}
