using Vireo.Sys;

namespace Vireo.VfioUser;

/// <summary>
/// One DMA_MAP of the client: an address range, reached through the client's fd when it sent
/// one (otherwise by DMA_READ/DMA_WRITE messages). The client can cut its file short at any
/// time, and an access to a mapping past the end of the file is SIGBUS, which would kill the
/// server. So: the file must be as long as the map at map time (fstat), and it is mmap'd only
/// once it carries F_SEAL_SHRINK (already, as QEMU's memfd backends do, or added here). A file
/// that cannot be sealed (a memfd made without MFD_ALLOW_SEALING, a regular or hugetlbfs file)
/// is reached by pread/pwrite instead: slower, but a truncated file gives this request EFAULT,
/// never a fault.
/// </summary>
internal sealed class DmaRegion : IDisposable
{
    private const long PageMask = 4095;

    private readonly MappedMemory? _mapping;
    private readonly SafeFd? _file;
    private readonly ulong _delta;

    /// <summary>Takes ownership of <paramref name="fd"/> (disposed here on failure).</summary>
    public DmaRegion(DmaMapRequest request, SafeFd? fd)
    {
        Request = request;
        if (fd is null)
        {
            return;
        }
        try
        {
            // Seal first, then measure: after the seal the size can only grow.
            bool sealedAgainstShrink = FileDescriptor.TrySealShrink(fd);
            long fileSize = FileDescriptor.GetSize(fd);
            if (fileSize < 0 || request.Offset > (ulong)fileSize || request.Size > (ulong)fileSize - request.Offset)
            {
                throw new VfioUserException(Errno.EINVAL, $"DMA_MAP of {request.Size:x} bytes at file offset {request.Offset:x} exceeds the file's {fileSize:x} bytes");
            }
            if (!sealedAgainstShrink)
            {
                _file = fd;
                return;
            }
            // mmap needs a page-aligned file offset; map from the page start and skip the delta.
            long aligned = (long)request.Offset & ~PageMask;
            _delta = request.Offset - (ulong)aligned;
            ulong length = checked(request.Size + _delta);
            _mapping = (request.Flags & DmaMapFlags.Write) != 0
                ? MappedMemory.MapShared(fd, length, aligned, "mmap DMA region")
                : MappedMemory.MapSharedReadOnly(fd, length, aligned, "mmap DMA region");
            fd.Dispose();
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }

    public DmaMapRequest Request { get; }

    public ulong Start => Request.Address;

    public ulong End => Request.Address + Request.Size;

    /// <summary>True when the client passed an fd (the range is reached without messages).</summary>
    public bool IsMapped => _mapping is not null || _file is not null;

    /// <summary>True when the fd could not be sealed and is read and written with pread/pwrite.</summary>
    public bool IsFileIo => _file is not null;

    public bool Writable => (Request.Flags & DmaMapFlags.Write) != 0;

    public bool Readable => (Request.Flags & DmaMapFlags.Read) != 0;

    public unsafe void Read(ulong address, Span<byte> destination)
    {
        if (_file is not null)
        {
            long at = FileOffset(address);
            if (ReadFile(at, destination) != destination.Length)
            {
                throw new VfioUserException(Errno.EFAULT, $"DMA read at {address:x}: the client's file ends before {at + destination.Length:x}");
            }
            return;
        }
        // Safe: callers pass a range inside [Start, End), which the mapping covers after _delta,
        // and the file is sealed against shrinking, so no page of it can fault.
        new ReadOnlySpan<byte>((byte*)_mapping!.DangerousGetAddress() + _delta + (address - Start), destination.Length).CopyTo(destination);
    }

    public unsafe void Write(ulong address, ReadOnlySpan<byte> source)
    {
        if (_file is not null)
        {
            long at = FileOffset(address);
            // pwrite past the end would grow the file rather than fail: refuse writes beyond it.
            try
            {
                if (FileDescriptor.GetSize(_file) < at + source.Length)
                {
                    throw new VfioUserException(Errno.EFAULT, $"DMA write at {address:x}: the client's file ends before {at + source.Length:x}");
                }
                FileDescriptor.WriteAt(_file, at, source);
            }
            catch (ErrnoException e)
            {
                throw new VfioUserException(Errno.EFAULT, $"DMA write at {address:x}: {e.Message}");
            }
            return;
        }
        // Safe: as in Read; the mapping is writable because the map had the WRITE flag.
        source.CopyTo(new Span<byte>((byte*)_mapping!.DangerousGetAddress() + _delta + (address - Start), source.Length));
    }

    public void Dispose()
    {
        _mapping?.Dispose();
        _file?.Dispose();
    }

    private int ReadFile(long at, Span<byte> destination)
    {
        try
        {
            return FileDescriptor.ReadAt(_file!, at, destination);
        }
        catch (ErrnoException e)
        {
            throw new VfioUserException(Errno.EFAULT, $"DMA read at file offset {at:x}: {e.Message}");
        }
    }

    private long FileOffset(ulong address) => checked((long)(Request.Offset + (address - Start)));
}
