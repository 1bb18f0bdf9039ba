namespace Vireo.Kvm;

/// <summary>enum kvm_smccc_filter_action (arm64 asm/kvm.h): what KVM does with an SMCCC call
/// whose function ID a filter range covers (<see cref="KvmVm.SetSmcccFilter"/>).</summary>
public enum KvmSmcccFilterAction : byte
{
    /// <summary>KVM_SMCCC_FILTER_HANDLE: KVM handles it as without a filter (PSCI, ...).</summary>
    Handle = 0,
    /// <summary>KVM_SMCCC_FILTER_DENY: the guest gets SMCCC_RET_NOT_SUPPORTED.</summary>
    Deny = 1,
    /// <summary>KVM_SMCCC_FILTER_FWD_TO_USER: the call exits to the VMM as
    /// <see cref="VcpuExitKind.Hypercall"/>.</summary>
    FwdToUser = 2,
}
