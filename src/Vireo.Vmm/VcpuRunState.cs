namespace Vireo.Vmm;

/// <summary>What a <see cref="VcpuRunner"/>'s thread is doing.</summary>
public enum VcpuRunState
{
    /// <summary>Not started.</summary>
    Created,
    /// <summary>In or around KVM_RUN.</summary>
    Running,
    /// <summary>Held outside KVM_RUN (paused or parked).</summary>
    Paused,
    /// <summary>The thread has ended.</summary>
    Stopped,
}
