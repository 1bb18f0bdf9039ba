namespace Vireo.Vmm;

/// <summary>Why a vCPU thread left its run loop.</summary>
public enum VcpuStopReason
{
    /// <summary>The VMM asked it to stop.</summary>
    Requested,

    /// <summary>The guest executed HLT with nothing to wake it (no in-kernel irqchip).</summary>
    Halted,

    /// <summary>Triple fault or another shutdown condition.</summary>
    Shutdown,

    /// <summary>The guest asked for a reset or power-off through a KVM system event.</summary>
    SystemEvent,

    /// <summary>KVM could not run the vCPU (entry failure, internal error, unknown exit).</summary>
    Failed,
}
