namespace Vireo.Vmm;

/// <summary>The kinds of thread `vireo run` confines, each with its own seccomp allowlist
/// (<see cref="SeccompPolicy"/>).</summary>
public enum VmmThreadKind
{
    /// <summary><c>vmm-control</c> (<see cref="ControlLoop"/>): builds machines (again on
    /// reboot), starts vCPUs, runs host hooks.</summary>
    Control,

    /// <summary><c>vcpuN</c> (<see cref="VcpuRunner"/>): KVM_RUN and the device register
    /// accesses of its exits; also <c>events-NAME</c> (an assigned device's wake and notify
    /// thread), whose wake puts BAR slots back in KVM as a vCPU's access would.</summary>
    Vcpu,

    /// <summary>Device threads: <c>virtio-NAME</c> (queue workers: disk, tap, vsock I/O),
    /// <c>irq-events</c> and <c>console-input</c>.</summary>
    Device,
}
