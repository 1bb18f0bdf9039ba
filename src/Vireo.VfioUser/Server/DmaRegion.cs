using Vireo.Sys;

namespace Vireo.VfioUser;

/// <summary>One DMA_MAP of the client: an address range, and the server's mapping of the
/// client's fd when it sent one (otherwise the range is reached by DMA_READ/DMA_WRITE).</summary>
internal sealed class DmaRegion : IDisposable
{
    private const long PageMask = 4095;

    private readonly MappedMemory? _mapping;
    private readonly ulong _delta;

    public DmaRegion(DmaMapRequest request, SafeFd? fd)
    {
        Request = request;
        if (fd is not null)
        {
            // mmap needs a page-aligned file offset; map from the page start and skip the delta.
            long aligned = (long)request.Offset & ~PageMask;
            _delta = request.Offset - (ulong)aligned;
            ulong length = checked(request.Size + _delta);
            _mapping = (request.Flags & DmaMapFlags.Write) != 0
                ? MappedMemory.MapShared(fd, length, aligned, "mmap DMA region")
                : MappedMemory.MapSharedReadOnly(fd, length, aligned, "mmap DMA region");
        }
    }

    public DmaMapRequest Request { get; }

    public ulong Start => Request.Address;

    public ulong End => Request.Address + Request.Size;

    public bool IsMapped => _mapping is not null;

    public bool Writable => (Request.Flags & DmaMapFlags.Write) != 0;

    public bool Readable => (Request.Flags & DmaMapFlags.Read) != 0;

    public unsafe void Read(ulong address, Span<byte> destination)
    {
        // Safe: callers pass a range inside [Start, End), which the mapping covers after _delta.
        new ReadOnlySpan<byte>((byte*)_mapping!.DangerousGetAddress() + _delta + (address - Start), destination.Length).CopyTo(destination);
    }

    public unsafe void Write(ulong address, ReadOnlySpan<byte> source)
    {
        // Safe: as in Read; the mapping is writable because the map had the WRITE flag.
        source.CopyTo(new Span<byte>((byte*)_mapping!.DangerousGetAddress() + _delta + (address - Start), source.Length));
    }

    public void Dispose() => _mapping?.Dispose();
}
