namespace Vireo.Vmm;

/// <summary>How a machine's run ended, and which vCPU ended it when one did.</summary>
public sealed record MachineExit(MachineExitReason Reason, string? Detail = null, uint? Vcpu = null)
{
    /// <summary>The reason, the vCPU and the detail, for logs.</summary>
    public override string ToString()
    {
        string who = Vcpu is uint v ? $"vCPU {v}: " : "";
        return Detail is null ? $"{who}{Reason}" : $"{who}{Reason}: {Detail}";
    }
}
