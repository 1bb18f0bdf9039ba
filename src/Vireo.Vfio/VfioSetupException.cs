using Vireo.Sys;

namespace Vireo.Vfio;

/// <summary>A host device cannot be assigned as asked: it does not exist, is not PCI, has no IOMMU
/// group, the requested backend is missing, or its group is not viable. The message names the
/// device and, where there is one, the fix.</summary>
public class VfioSetupException : VireoException
{
    /// <summary>A setup error whose <paramref name="message"/> says what is wrong and what to do.</summary>
    public VfioSetupException(string message)
        : base(message)
    {
    }
}
