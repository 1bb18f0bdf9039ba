namespace Vireo.Kvm;

/// <summary>arm64 values from asm/kvm.h that Vireo passes to the kernel but callers do not choose.</summary>
internal static class KvmArm64Constants
{
    // asm/kvm.h: KVM_ARM_VM_SMCCC_CTRL (VM attribute group) and its KVM_ARM_VM_SMCCC_FILTER.
    internal const uint VmSmcccCtrl = 0;
    internal const ulong VmSmcccFilter = 0;

    // asm/kvm.h: arm64-specific KVM_EXIT_HYPERCALL flags.
    internal const ulong HypercallExitSmc = 1u << 0;
    internal const ulong HypercallExit16Bit = 1u << 1;
}
