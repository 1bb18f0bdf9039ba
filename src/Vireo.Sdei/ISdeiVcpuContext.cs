namespace Vireo.Sdei;

/// <summary>The registers of one stopped vCPU that SDEI reads and writes on dispatch and completion.</summary>
/// <remarks>
/// DEN0054 §6.2 (dispatch) and §5.1.5–§5.1.6 (completion): the dispatcher saves x0–x17, PC and PSTATE of the
/// interrupted context, enters the handler with x0..x3 = event, argument, interrupted PC, interrupted PSTATE
/// and x4..x17 unchanged, and on COMPLETE_AND_RESUME also writes ELR_EL1/SPSR_EL1 as if an exception had been
/// taken. An arm64 glue implements this over KVM_GET_ONE_REG/KVM_SET_ONE_REG; tests use an array.
/// </remarks>
public interface ISdeiVcpuContext
{
    /// <summary>General purpose register xN, N in 0..17.</summary>
    ulong GetX(int index);

    /// <summary>Writes general purpose register xN, N in 0..17.</summary>
    /// <param name="index">The register number N.</param>
    /// <param name="value">The value to write.</param>
    void SetX(int index, ulong value);

    /// <summary>The program counter: where the vCPU resumes when it runs again.</summary>
    ulong Pc { get; set; }

    /// <summary>PSTATE in SPSR_EL1 layout (what KVM calls regs.pstate).</summary>
    ulong Pstate { get; set; }

    /// <summary>Written only by COMPLETE_AND_RESUME (the interrupted PC).</summary>
    ulong ElrEl1 { set; }

    /// <summary>Written only by COMPLETE_AND_RESUME (the interrupted PSTATE).</summary>
    ulong SpsrEl1 { set; }

    /// <summary>Read on dispatch: SPAN decides PSTATE.PAN and DSSBS decides PSTATE.SSBS, as for an exception to EL1.</summary>
    ulong SctlrEl1 { get; }
}
