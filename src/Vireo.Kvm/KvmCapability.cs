namespace Vireo.Kvm;

/// <summary>KVM_CAP_* numbers (linux/kvm.h) for <c>KVM_CHECK_EXTENSION</c>. Member names are
/// the macro names in PascalCase; the layout tests check every value against the header.</summary>
public enum KvmCapability
{
    /// <summary>KVM_CAP_IRQCHIP: an in-kernel PIC, IOAPIC and local APIC.</summary>
    Irqchip = 0,
    /// <summary>KVM_CAP_HLT.</summary>
    Hlt = 1,
    /// <summary>KVM_CAP_USER_MEMORY: KVM_SET_USER_MEMORY_REGION.</summary>
    UserMemory = 3,
    /// <summary>KVM_CAP_SET_TSS_ADDR.</summary>
    SetTssAddr = 4,
    /// <summary>KVM_CAP_EXT_CPUID: KVM_GET_SUPPORTED_CPUID.</summary>
    ExtCpuid = 7,
    /// <summary>KVM_CAP_NR_VCPUS: the recommended maximum number of vCPUs.</summary>
    NrVcpus = 9,
    /// <summary>KVM_CAP_NR_MEMSLOTS: how many memory slots a VM may have.</summary>
    NrMemslots = 10,
    /// <summary>
    /// KVM_CAP_COALESCED_MMIO: the page offset of the coalesced ring in the vCPU mapping, or 0.
    /// </summary>
    CoalescedMmio = 15,
    /// <summary>KVM_CAP_PIT: an in-kernel i8254.</summary>
    Pit = 11,
    /// <summary>KVM_CAP_MP_STATE.</summary>
    MpState = 14,
    /// <summary>KVM_CAP_SYNC_MMU: memslot changes follow host mapping changes.</summary>
    SyncMmu = 16,
    /// <summary>KVM_CAP_IRQ_ROUTING: KVM_SET_GSI_ROUTING.</summary>
    IrqRouting = 25,
    /// <summary>KVM_CAP_IRQFD.</summary>
    Irqfd = 32,
    /// <summary>KVM_CAP_PIT2: KVM_CREATE_PIT2.</summary>
    Pit2 = 33,
    /// <summary>KVM_CAP_PIT_STATE2: KVM_GET_PIT2 and KVM_SET_PIT2.</summary>
    PitState2 = 35,
    /// <summary>KVM_CAP_IOEVENTFD.</summary>
    Ioeventfd = 36,
    /// <summary>KVM_CAP_SET_IDENTITY_MAP_ADDR.</summary>
    SetIdentityMapAddr = 37,
    /// <summary>KVM_CAP_ADJUST_CLOCK: KVM_GET_CLOCK and KVM_SET_CLOCK.</summary>
    AdjustClock = 39,
    /// <summary>KVM_CAP_VCPU_EVENTS.</summary>
    VcpuEvents = 41,
    /// <summary>KVM_CAP_DEBUGREGS.</summary>
    Debugregs = 50,
    /// <summary>KVM_CAP_XSAVE.</summary>
    Xsave = 55,
    /// <summary>KVM_CAP_XCRS.</summary>
    Xcrs = 56,
    /// <summary>KVM_CAP_MAX_VCPUS: the hard maximum number of vCPUs.</summary>
    MaxVcpus = 66,
    /// <summary>KVM_CAP_ONE_REG.</summary>
    OneReg = 70,
    /// <summary>KVM_CAP_TSC_DEADLINE_TIMER.</summary>
    TscDeadlineTimer = 72,
    /// <summary>KVM_CAP_KVMCLOCK_CTRL.</summary>
    KvmclockCtrl = 76,
    /// <summary>KVM_CAP_SIGNAL_MSI.</summary>
    SignalMsi = 77,
    /// <summary>KVM_CAP_READONLY_MEM: read-only memslots whose writes exit as MMIO.</summary>
    ReadonlyMem = 81,
    /// <summary>KVM_CAP_IRQFD_RESAMPLE: level-triggered irqfds with a resample eventfd.</summary>
    IrqfdResample = 82,
    /// <summary>
    /// KVM_CAP_SPLIT_IRQCHIP: local APICs in the kernel, PIC and IOAPIC in userspace.
    /// </summary>
    SplitIrqchip = 121,
    /// <summary>KVM_CAP_MAX_VCPU_ID.</summary>
    MaxVcpuId = 128,
    /// <summary>KVM_CAP_X2APIC_API.</summary>
    X2apicApi = 129,
    /// <summary>KVM_CAP_IMMEDIATE_EXIT: kvm_run.immediate_exit.</summary>
    ImmediateExit = 136,
    /// <summary>KVM_CAP_COALESCED_PIO: coalesced zones on port I/O.</summary>
    CoalescedPio = 162,
    /// <summary>KVM_CAP_XSAVE2: the size KVM_GET_XSAVE2 writes.</summary>
    Xsave2 = 208,

    // Capabilities the arm64 port checks (generic numbers from linux/kvm.h).
    /// <summary>KVM_CAP_DEVICE_CTRL: KVM_CREATE_DEVICE and device attributes.</summary>
    DeviceCtrl = 89,
    /// <summary>KVM_CAP_VM_ATTRIBUTES: KVM_{SET,GET,HAS}_DEVICE_ATTR on the VM fd (arm64's SMCCC
    /// filter; there is no capability of its own, see <see cref="KvmVm.SupportsSmcccFilter"/>).</summary>
    VmAttributes = 101,
    /// <summary>KVM_CAP_ARM_PSCI_0_2: the in-kernel PSCI v0.2+ (<see cref="KvmArm64VcpuFeature.Psci02"/>).</summary>
    ArmPsci02 = 102,
    /// <summary>KVM_CAP_ARM_PMU_V3: <see cref="KvmArm64VcpuFeature.PmuV3"/>.</summary>
    ArmPmuV3 = 126,
    /// <summary>KVM_CAP_MSI_DEVID: asked of a VM, nonzero once its MSIs must name their device
    /// (an arm64 VM with an ITS): MSI routes then carry <c>KVM_MSI_VALID_DEVID</c> and the
    /// requester ID.</summary>
    MsiDevid = 131,
    /// <summary>KVM_CAP_ARM_VM_IPA_SIZE: the largest guest-physical address size in bits KVM_CREATE_VM
    /// accepts in its type argument (40 when the capability is absent).</summary>
    ArmVmIpaSize = 165,
    /// <summary>KVM_CAP_ARM_IRQ_LINE_LAYOUT_2: KVM_IRQ_LINE's vCPU index may use the VCPU2 bits.</summary>
    ArmIrqLineLayout2 = 174,
    /// <summary>KVM_CAP_ARM_SYSTEM_SUSPEND: PSCI SYSTEM_SUSPEND may exit as a suspend system event.</summary>
    ArmSystemSuspend = 216,
}
