namespace Vireo.Vmm;

/// <summary>What a machine that can be snapshotted offers the control loop: its state as a
/// <see cref="SnapshotDocument"/>, taken while every vCPU is paused (the RAM is written beside
/// it by <see cref="SnapshotStore"/>).</summary>
internal interface IMachineSnapshotter
{
    /// <summary>Makes the machine's devices stand still (a disk's requests completed) until the
    /// result is disposed; while it is paused, around <see cref="Capture"/> and the RAM's writing.</summary>
    IDisposable Quiesce();

    /// <summary>The machine's state; only while it is paused and quiesced.</summary>
    SnapshotDocument Capture();
}
