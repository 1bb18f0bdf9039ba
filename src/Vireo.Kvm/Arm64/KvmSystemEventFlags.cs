namespace Vireo.Kvm;

/// <summary>Bits of <see cref="VcpuExit.SystemEventFlags"/> (kvm_run.system_event.flags, which
/// shares its union with data[0]).</summary>
public static class KvmSystemEventFlags
{
    /// <summary>KVM_SYSTEM_EVENT_RESET_FLAG_PSCI_RESET2 (arm64 asm/kvm.h): the reset came from PSCI
    /// 1.1 SYSTEM_RESET2.</summary>
    public const ulong ArmPsciReset2 = 1UL << 0;
}
