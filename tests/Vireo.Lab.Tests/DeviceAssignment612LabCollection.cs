namespace Vireo.Lab.Tests;

/// <summary>The device-assignment scenarios on the 6.12 L1 kernel share one L1; like
/// <see cref="DeviceAssignmentLabCollection"/>, the collection runs on its own (QEMU TCG).</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DeviceAssignment612LabCollection : ICollectionFixture<DeviceAssignment612L1Fixture>
{
    public const string Name = "lab-device-assignment-6.12";
}
