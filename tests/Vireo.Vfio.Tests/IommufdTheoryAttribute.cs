namespace Vireo.Vfio.Tests;

/// <summary>A theory over linux/iommufd.h and the VFIO cdev requests; skips where gcc's headers lack them.</summary>
public sealed class IommufdTheoryAttribute : TheoryAttribute
{
    public IommufdTheoryAttribute()
    {
        if (!IommufdHeaders.Present)
        {
            Skip = "gcc's uAPI headers have no linux/iommufd.h or no VFIO_DEVICE_BIND_IOMMUFD (need Linux 6.6+ headers; set C_INCLUDE_PATH to a newer include dir)";
        }
    }
}
