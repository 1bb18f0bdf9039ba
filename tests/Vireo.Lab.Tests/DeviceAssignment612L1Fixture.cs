using Vireo.Lab;

namespace Vireo.Lab.Tests;

/// <summary>The device-assignment L1 (<see cref="DeviceAssignmentL1Fixture"/>) booted on Debian
/// 12's 6.12 kernel (<see cref="L1Kernel.Linux612"/>) instead of its own 6.1: one more L1 boot,
/// shared by <see cref="DeviceAssignment612LabTests"/>.</summary>
public sealed class DeviceAssignment612L1Fixture() : DeviceAssignmentL1Fixture(L1Kernel.Linux612);
