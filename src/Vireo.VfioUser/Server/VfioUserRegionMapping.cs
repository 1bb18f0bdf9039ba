using Vireo.Sys;

namespace Vireo.VfioUser;

/// <summary>How a client may map a region: <paramref name="Fd"/> (owned by the backend; the
/// server sends a duplicate) and the areas of it that may be mapped (VFIO_REGION_INFO_CAP_SPARSE_MMAP).</summary>
public sealed record VfioUserRegionMapping(SafeFd Fd, IReadOnlyList<SparseMmapArea> Areas);
