namespace Vireo.Lab.Tests;

/// <summary>The device-assignment scenarios share one L1 with an emulated IOMMU and edu. The
/// collection runs on its own, after the parallel ones: its L1 and <see cref="LabCollection"/>'s
/// are both QEMU TCG, and two at once on a two-core runner would slow each past its timeouts.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DeviceAssignmentLabCollection : ICollectionFixture<DeviceAssignmentL1Fixture>
{
    public const string Name = "lab-device-assignment";
}
