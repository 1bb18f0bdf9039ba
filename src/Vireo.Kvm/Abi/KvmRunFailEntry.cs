using System.Runtime.InteropServices;

namespace Vireo.Kvm;

/// <summary>kvm_run.fail_entry (linux/kvm.h), valid for KVM_EXIT_FAIL_ENTRY.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct KvmRunFailEntry
{
    public ulong HardwareEntryFailureReason;
    public uint Cpu;
}
