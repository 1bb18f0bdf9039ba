namespace Vireo.VfioUser;

/// <summary>One area of VFIO_REGION_INFO_CAP_SPARSE_MMAP (linux/vfio.h struct
/// vfio_region_sparse_mmap_area): offset and size within the region.</summary>
public readonly record struct SparseMmapArea(ulong Offset, ulong Size);
