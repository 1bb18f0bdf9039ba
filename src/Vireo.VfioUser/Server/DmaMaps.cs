using Vireo.Sys;

namespace Vireo.VfioUser;

/// <summary>The client's DMA maps (DMA_MAP/DMA_UNMAP) and the split of a device access over
/// them. Owned by the server; it goes with the client that made the maps.</summary>
internal sealed class DmaMaps
{
    private readonly List<DmaRegion> _regions = [];
    private readonly uint _maxMaps;

    public DmaMaps(uint maxMaps)
    {
        _maxMaps = maxMaps;
    }

    public int Count => _regions.Count;

    /// <summary>Adds a map; takes ownership of <paramref name="fd"/>. libvfio-user's rules: an
    /// identical re-map succeeds, any other overlap is EINVAL.</summary>
    public void Map(DmaMapRequest request, SafeFd? fd)
    {
        try
        {
            if ((request.Flags & ~(DmaMapFlags.Read | DmaMapFlags.Write)) != 0)
            {
                throw new VfioUserException(Errno.EINVAL, $"DMA_MAP flags {(uint)request.Flags:x}");
            }
            if (request.Size == 0 || request.Address > ulong.MaxValue - request.Size || request.Offset > ulong.MaxValue - request.Size)
            {
                throw new VfioUserException(Errno.EINVAL, $"DMA_MAP range {request.Address:x}+{request.Size:x}");
            }
            foreach (DmaRegion existing in _regions)
            {
                if (request.Address < existing.End && existing.Start < request.Address + request.Size)
                {
                    if (existing.Request == request && existing.IsMapped == (fd is not null))
                    {
                        fd?.Dispose();
                        return;
                    }
                    throw new VfioUserException(Errno.EINVAL, $"DMA_MAP {request.Address:x}+{request.Size:x} overlaps {existing.Start:x}");
                }
            }
            if ((uint)_regions.Count >= _maxMaps)
            {
                throw new VfioUserException(Errno.ENOSPC, $"more than {_maxMaps} DMA maps");
            }
        }
        catch
        {
            fd?.Dispose();
            throw;
        }
        _regions.Add(new DmaRegion(request, fd));
    }

    public void Unmap(DmaUnmapRequest request)
    {
        if (request.Flags == DmaUnmapFlags.All)
        {
            if (request.Address != 0 || request.Size != 0)
            {
                throw new VfioUserException(Errno.EINVAL, "DMA_UNMAP ALL with an address range");
            }
            Clear();
            return;
        }
        if (request.Flags != DmaUnmapFlags.None)
        {
            throw new VfioUserException(Errno.EINVAL, $"DMA_UNMAP flags {(uint)request.Flags:x}");
        }
        int index = _regions.FindIndex(r => r.Start == request.Address && r.Request.Size == request.Size);
        if (index < 0)
        {
            throw new VfioUserException(Errno.ENOENT, $"no DMA map at {request.Address:x}+{request.Size:x}");
        }
        _regions[index].Dispose();
        _regions.RemoveAt(index);
    }

    /// <summary>Splits [address, address+length) over the maps, all checked before any byte
    /// moves: EFAULT where no map covers it or the map lacks the permission (linux/vfio.h:
    /// VFIO_DMA_MAP_FLAG_READ means readable by the device, WRITE writable by it).</summary>
    public List<(DmaRegion Region, ulong Address, int Offset, int Length)> Split(ulong address, int length, bool deviceReads)
    {
        var pieces = new List<(DmaRegion, ulong, int, int)>();
        if (length == 0)
        {
            return pieces;
        }
        if (address > ulong.MaxValue - (ulong)length)
        {
            throw new VfioUserException(Errno.EFAULT, $"DMA {address:x}+{length} overflows");
        }
        int done = 0;
        while (done < length)
        {
            ulong at = address + (ulong)done;
            DmaRegion region = _regions.Find(r => at >= r.Start && at < r.End)
                ?? throw new VfioUserException(Errno.EFAULT, $"DMA address {at:x} is not mapped");
            if (deviceReads ? !region.Readable : !region.Writable)
            {
                throw new VfioUserException(Errno.EFAULT, $"DMA map at {region.Start:x} does not allow device {(deviceReads ? "reads" : "writes")}");
            }
            int chunk = (int)Math.Min((ulong)(length - done), region.End - at);
            pieces.Add((region, at, done, chunk));
            done += chunk;
        }
        return pieces;
    }

    public void Clear()
    {
        foreach (DmaRegion region in _regions)
        {
            region.Dispose();
        }
        _regions.Clear();
    }
}
