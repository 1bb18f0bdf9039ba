namespace Vireo.Kvm;

/// <summary>Which KVM vendor module serves /dev/kvm.</summary>
public enum KvmBackend
{
    /// <summary>No known vendor module found under /sys/module.</summary>
    Unknown,
    /// <summary>kvm_intel (VMX).</summary>
    Intel,
    /// <summary>kvm_amd (SVM).</summary>
    Amd,

    /// <summary>kvm_pvm: a paravirtualized backend without hardware virtualization
    /// (no guest interrupt delivery, no 1 GiB pages on the hosts Vireo has seen).</summary>
    Pvm,

    /// <summary>arm64 KVM (built into the kernel, not a vendor module): the hardware's EL2,
    /// with or without VHE.</summary>
    Arm64,
}
