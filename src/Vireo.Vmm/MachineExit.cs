namespace Vireo.Vmm;

/// <summary>How a machine's run ended, from the vCPU that ended it.</summary>
public sealed record MachineExit(VcpuStopReason Reason, uint Vcpu, string? Detail)
{
    public override string ToString() => Detail is null ? $"vCPU {Vcpu}: {Reason}" : $"vCPU {Vcpu}: {Reason}: {Detail}";
}
