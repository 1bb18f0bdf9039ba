using Vireo.TestSupport;

namespace Vireo.Vfio.Tests;

/// <summary>One C probe over linux/vfio.h, and one over linux/vfio.h plus linux/iommufd.h where
/// the headers have them, for the whole test class.</summary>
public sealed class VfioAbiOracles
{
    private readonly Lazy<CLayoutOracle> _vfio = new(() => CLayoutOracle.Run(
        ["linux/vfio.h"],
        VfioAbi.Exact.Concat(VfioAbi.Prefix),
        VfioAbi.Ioctls.Select(i => i.Macro).Concat(VfioAbi.Constants.Select(c => c.Macro))));

    private readonly Lazy<CLayoutOracle> _iommufd = new(() => CLayoutOracle.Run(
        IommufdHeaders.Target ?? throw new InvalidOperationException(IommufdHeaders.WhyMissing),
        ["linux/vfio.h", "linux/iommufd.h"],
        VfioAbi.IommufdExact.Concat(VfioAbi.IommufdPrefix),
        VfioAbi.IommufdIoctls.Select(i => i.Macro).Concat(VfioAbi.IommufdConstants.Select(c => c.Macro))));

    public CLayoutOracle Vfio => _vfio.Value;

    public CLayoutOracle Iommufd => _iommufd.Value;
}
