namespace Vireo.Vmm;

/// <summary>What a machine that can be snapshotted offers the control loop: its state as a
/// <see cref="SnapshotDocument"/>, taken while every vCPU is paused (the RAM is written beside
/// it by <see cref="SnapshotStore"/>).</summary>
internal interface IMachineSnapshotter
{
    /// <summary>The machine's state; only while it is paused.</summary>
    SnapshotDocument Capture();
}
