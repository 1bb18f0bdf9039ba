using Microsoft.Win32.SafeHandles;
using Vireo.Sys;

namespace Vireo.Virtio;

/// <summary>A raw disk image in a host file: sector n is bytes n × 512 of the file. Reads and
/// writes are pread/pwrite through <see cref="RandomAccess"/>, <see cref="Flush"/> is
/// fdatasync(2), and discards punch holes (fallocate), writing zeroes where the file system
/// cannot. The file is opened without O_DIRECT, through the host's page cache, so a guest's
/// buffers need no alignment; durability is what the guest's flushes ask for.</summary>
/// <remarks>A read-write image is opened with an exclusive advisory lock (flock) and a read-only
/// one with a shared lock, as .NET does for <see cref="FileShare.None"/> and
/// <see cref="FileShare.Read"/>, so two VMs cannot write one image. Safe for concurrent calls.</remarks>
public sealed class RawFileBackend : IBlockBackend, IDisposable
{
    /// <summary>The largest zero-filled write issued where the file system cannot zero a range itself.</summary>
    public const int ZeroChunk = 64 * 1024;

    private static readonly byte[] s_zeroes = new byte[ZeroChunk];

    private readonly SafeFileHandle _file;
    private volatile bool _cannotPunch;
    private volatile bool _cannotZeroRange;

    /// <summary>Opens the image at <paramref name="path"/>; its size now is the disk's size.</summary>
    /// <param name="path">A regular file.</param>
    /// <param name="readOnly">Open for reading only: the disk is read-only to the guest.</param>
    /// <exception cref="IOException">The file cannot be opened (missing, locked by another user, ...).</exception>
    /// <exception cref="UnauthorizedAccessException">The host denies the access asked for.</exception>
    public RawFileBackend(string path, bool readOnly = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = path;
        ReadOnly = readOnly;
        _file = File.OpenHandle(path, FileMode.Open, readOnly ? FileAccess.Read : FileAccess.ReadWrite, readOnly ? FileShare.Read : FileShare.None);
        Size = RandomAccess.GetLength(_file);
    }

    /// <summary>The image's path, as given.</summary>
    public string Path { get; }

    /// <inheritdoc/>
    public long Size { get; }

    /// <inheritdoc/>
    public bool ReadOnly { get; }

    /// <inheritdoc/>
    public void ReadAt(long offset, Span<byte> data)
    {
        CheckRange(offset, data.Length);
        int done = 0;
        while (done < data.Length)
        {
            int n = RandomAccess.Read(_file, data[done..], offset + done);
            if (n == 0)
            {
                throw new IOException($"{Path} ends at byte {offset + done}, inside a read of {data.Length} bytes at {offset} (was it truncated?)");
            }
            done += n;
        }
    }

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">The image was opened read-only.</exception>
    public void WriteAt(long offset, ReadOnlySpan<byte> data)
    {
        CheckWritable();
        CheckRange(offset, data.Length);
        RandomAccess.Write(_file, data, offset);
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
            RandomAccess.Write(_file, s_zeroes.AsSpan(0, (int)Math.Min(ZeroChunk, length - done)), offset + done);
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
