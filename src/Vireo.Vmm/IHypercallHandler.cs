namespace Vireo.Vmm;

/// <summary>
/// Where a vCPU's forwarded firmware calls go (arm64: the SMCCC function ranges the machine asked
/// KVM to forward, KVM_EXIT_HYPERCALL), as port and MMIO exits go to their buses. One per machine;
/// it decides by function ID. Both calls run on the vCPU's own thread with the vCPU stopped, so a
/// handler may read and write that vCPU's registers.
/// </summary>
public interface IHypercallHandler
{
    /// <summary>A forwarded call: the vCPU is stopped after its HVC/SMC with the function ID in w0
    /// and the arguments in x1.., and resumes there with whatever the handler left in x0.. (or
    /// wherever it moved the PC).</summary>
    void Handle(VcpuRunner vcpu, uint functionId);

    /// <summary>Before each entry into the guest: a handler with work for this vCPU (an event to
    /// deliver) does it now, having asked for the entry with <see cref="VcpuRunner.Interrupt"/>.
    /// The last exit may be one KVM has not finished (port I/O, MMIO): call
    /// <see cref="VcpuRunner.CompletePendingExit"/> before touching the registers.</summary>
    void BeforeEntry(VcpuRunner vcpu);
}
