using System.Runtime.InteropServices;

namespace Vireo.Kvm;

/// <summary>kvm_run.hypercall (linux/kvm.h), valid for KVM_EXIT_HYPERCALL. On arm64 (an SMCCC call
/// the VM's SMCCC filter forwards to userspace) nr is the function ID from w0 and flags holds
/// KVM_HYPERCALL_EXIT_SMC / KVM_HYPERCALL_EXIT_16BIT; the arguments stay in the vCPU's x1..x17,
/// read with KVM_GET_ONE_REG. flags shares its union with x86's longmode.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct KvmRunHypercall
{
    public ulong Nr;
    public KvmRunHypercallArgs Args;
    public ulong Ret;
    public ulong Flags;
}
