namespace Vireo.Vmm;

/// <summary>Writes a snapshot of the paused VM into <see cref="Directory"/> (<c>vm.snapshot</c>):
/// its RAM and every register list (<see cref="SnapshotStore"/>); <c>vireo run --restore</c>
/// continues it in a new process. Valid only while paused; the VM stays paused.</summary>
public sealed class SnapshotVm(string directory) : VmmRequest<VmmAck>
{
    /// <summary>The snapshot's directory, an absolute path (created if missing; one that holds a
    /// snapshot already is refused).</summary>
    public string Directory { get; } = directory;
}
