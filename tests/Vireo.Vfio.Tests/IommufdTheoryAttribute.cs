namespace Vireo.Vfio.Tests;

/// <summary>A theory over linux/iommufd.h and the VFIO cdev requests; skips where neither gcc's
/// headers nor the newer uAPI headers have them (<see cref="IommufdHeaders"/>).</summary>
public sealed class IommufdTheoryAttribute : TheoryAttribute
{
    public IommufdTheoryAttribute()
    {
        if (IommufdHeaders.Target is null)
        {
            Skip = IommufdHeaders.WhyMissing;
        }
    }
}
