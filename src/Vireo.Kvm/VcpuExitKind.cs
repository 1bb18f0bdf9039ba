namespace Vireo.Kvm;

/// <summary>What a <see cref="KvmVcpu.Run"/> returned, folded from kvm_run.exit_reason and the
/// ioctl's errno into the cases a VMM handles.</summary>
public enum VcpuExitKind
{
    /// <summary>An exit reason with no case of its own; see <see cref="VcpuExit.RawReason"/>.</summary>
    Other,
    Io,
    Mmio,
    Hlt,
    Shutdown,
    FailEntry,
    InternalError,
    SystemEvent,
    Debug,

    /// <summary>KVM_RUN returned EINTR or EAGAIN (a signal, a kick, immediate_exit).</summary>
    Interrupted,
}
