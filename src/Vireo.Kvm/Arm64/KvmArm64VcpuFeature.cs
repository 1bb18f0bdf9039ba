namespace Vireo.Kvm;

/// <summary>KVM_ARM_VCPU_* feature bit numbers of <see cref="KvmVcpuInit.Features"/> (arm64
/// asm/kvm.h); the arm64 layout tests check each against the header.</summary>
public enum KvmArm64VcpuFeature : uint
{
    /// <summary>KVM_ARM_VCPU_POWER_OFF: the vCPU starts powered off (secondaries, until PSCI CPU_ON).</summary>
    PowerOff = 0,
    /// <summary>KVM_ARM_VCPU_EL1_32BIT: an AArch32 EL1.</summary>
    El1Aarch32 = 1,
    /// <summary>KVM_ARM_VCPU_PSCI_0_2: the in-kernel PSCI speaks v0.2 or later (KVM_CAP_ARM_PSCI_0_2).</summary>
    Psci02 = 2,
    /// <summary>KVM_ARM_VCPU_PMU_V3: a PMUv3 (KVM_CAP_ARM_PMU_V3; set up through vCPU attributes).</summary>
    PmuV3 = 3,
    /// <summary>KVM_ARM_VCPU_SVE: SVE, which needs KVM_ARM_VCPU_FINALIZE before the first run.</summary>
    Sve = 4,
    /// <summary>KVM_ARM_VCPU_PTRAUTH_ADDRESS: address authentication.</summary>
    PtrauthAddress = 5,
    /// <summary>KVM_ARM_VCPU_PTRAUTH_GENERIC: generic authentication.</summary>
    PtrauthGeneric = 6,
    /// <summary>KVM_ARM_VCPU_HAS_EL2: nested virtualization.</summary>
    HasEl2 = 7,
}
