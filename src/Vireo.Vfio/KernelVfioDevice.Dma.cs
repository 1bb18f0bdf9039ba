using System.Runtime.CompilerServices;
using Vireo.Sys;
using Vireo.VfioUser;

namespace Vireo.Vfio;

/// <summary>DMA mappings: VFIO_IOMMU_MAP_DMA on the type1 container, or IOMMU_IOAS_MAP at a fixed
/// IOVA in the device's IOAS. The kernel pins the VMM's own mapping of guest RAM.</summary>
public sealed partial class KernelVfioDevice
{
    /// <inheritdoc/>
    public void MapDma(VfioDmaRegion region)
    {
        if (region.Size == 0 || region.HostAddress == 0)
        {
            throw new ArgumentException($"DMA region at IOVA 0x{region.Iova:x} has no size or no host mapping", nameof(region));
        }
        if (Kind == VfioBackendKind.Iommufd)
        {
            var map = new IommuIoasMap
            {
                Size = (uint)Unsafe.SizeOf<IommuIoasMap>(),
                Flags = VfioConstants.IoasMapFixedIova | VfioConstants.IoasMapReadable | VfioConstants.IoasMapWriteable,
                IoasId = _ioasId,
                UserVa = (ulong)region.HostAddress,
                Length = region.Size,
                Iova = region.Iova,
            };
            try
            {
                _sys.Ioctl(_fds.First, VfioIoctls.IommuIoasMap, ref map, $"IOMMU_IOAS_MAP(0x{region.Iova:x}+0x{region.Size:x})");
            }
            catch (ErrnoException e) when (e.Errno == Errno.ENOMEM)
            {
                throw OverMemlockLimit(e);
            }
            return;
        }
        var dma = new VfioIommuType1DmaMap
        {
            Argsz = (uint)Unsafe.SizeOf<VfioIommuType1DmaMap>(),
            Flags = VfioConstants.DmaMapFlagRead | VfioConstants.DmaMapFlagWrite,
            Vaddr = (ulong)region.HostAddress,
            Iova = region.Iova,
            Size = region.Size,
        };
        try
        {
            _sys.Ioctl(_fds.First, VfioIoctls.IommuMapDma, ref dma, $"VFIO_IOMMU_MAP_DMA(0x{region.Iova:x}+0x{region.Size:x})");
        }
        catch (ErrnoException e) when (e.Errno == Errno.ENOMEM)
        {
            throw OverMemlockLimit(e);
        }
    }

    // Both type1 and iommufd charge pinned pages to the caller's RLIMIT_MEMLOCK: an unprivileged
    // VMM fails with ENOMEM unless its limit covers guest RAM, so say so.
    private static ErrnoException OverMemlockLimit(ErrnoException e)
        => new(e.Errno, $"{e.Call} (pinned guest RAM counts against RLIMIT_MEMLOCK: raise ulimit -l to the guest's RAM size)");

    /// <inheritdoc/>
    public void UnmapDma(ulong iova, ulong size)
    {
        if (Kind == VfioBackendKind.Iommufd)
        {
            var unmap = new IommuIoasUnmap { Size = (uint)Unsafe.SizeOf<IommuIoasUnmap>(), IoasId = _ioasId, Iova = iova, Length = size };
            _sys.Ioctl(_fds.First, VfioIoctls.IommuIoasUnmap, ref unmap, $"IOMMU_IOAS_UNMAP(0x{iova:x}+0x{size:x})");
            return;
        }
        var dma = new VfioIommuType1DmaUnmap { Argsz = (uint)Unsafe.SizeOf<VfioIommuType1DmaUnmap>(), Iova = iova, Size = size };
        _sys.Ioctl(_fds.First, VfioIoctls.IommuUnmapDma, ref dma, $"VFIO_IOMMU_UNMAP_DMA(0x{iova:x}+0x{size:x})");
    }
}
