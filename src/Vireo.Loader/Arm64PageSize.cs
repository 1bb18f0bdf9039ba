namespace Vireo.Loader;

/// <summary>The kernel's page size as its Image header states it (flags bits 1-2,
/// Documentation/arch/arm64/booting.rst).</summary>
public enum Arm64PageSize
{
    /// <summary>Not stated (kernels before the field existed).</summary>
    Unspecified = 0,

    /// <summary>4 KiB pages.</summary>
    Size4K = 1,

    /// <summary>16 KiB pages.</summary>
    Size16K = 2,

    /// <summary>64 KiB pages.</summary>
    Size64K = 3,
}
