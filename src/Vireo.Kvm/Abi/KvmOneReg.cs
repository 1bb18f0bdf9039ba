using System.Runtime.InteropServices;

namespace Vireo.Kvm;

/// <summary>struct kvm_one_reg (linux/kvm.h) for KVM_GET_ONE_REG / KVM_SET_ONE_REG: a register id
/// and the userspace address of a buffer of the id's size.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct KvmOneReg
{
    public ulong Id;
    public ulong Addr;
}
