namespace Vireo.Kvm;

/// <summary>What a <see cref="KvmVcpu.Run"/> returned, folded from kvm_run.exit_reason and the
/// ioctl's errno into the cases a VMM handles.</summary>
public enum VcpuExitKind
{
    /// <summary>An exit reason with no case of its own; see <see cref="VcpuExit.RawReason"/>.</summary>
    Other,
    /// <summary>
    /// KVM_EXIT_IO: port I/O; see <see cref="VcpuExit.Port"/> and <see cref="VcpuExit.Data"/>.
    /// </summary>
    Io,
    /// <summary>KVM_EXIT_MMIO: an access to guest-physical memory no memslot backs.</summary>
    Mmio,
    /// <summary>KVM_EXIT_HLT: the guest halted (only without an in-kernel irqchip).</summary>
    Hlt,
    /// <summary>KVM_EXIT_SHUTDOWN: a triple fault or shutdown; the vCPU cannot continue.</summary>
    Shutdown,
    /// <summary>KVM_EXIT_FAIL_ENTRY: hardware refused to enter the guest (invalid state).</summary>
    FailEntry,
    /// <summary>KVM_EXIT_INTERNAL_ERROR: KVM could not emulate or deliver something.</summary>
    InternalError,
    /// <summary>
    /// KVM_EXIT_SYSTEM_EVENT: the guest requested shutdown, reset or a crash (e.g. PSCI, S3).
    /// </summary>
    SystemEvent,
    /// <summary>KVM_EXIT_DEBUG: a guest debug event (breakpoint, single step).</summary>
    Debug,
    /// <summary>KVM_EXIT_HYPERCALL: on arm64, an SMCCC call the VM's SMCCC filter forwards to the
    /// VMM (<see cref="VcpuExit.FunctionId"/>, <see cref="VcpuExit.IsSmc"/>; arguments in x1.., results
    /// written back to x0.. with KVM_SET_ONE_REG).</summary>
    Hypercall,

    /// <summary>KVM_RUN returned EINTR or EAGAIN (a signal, a kick, immediate_exit).</summary>
    Interrupted,
}
