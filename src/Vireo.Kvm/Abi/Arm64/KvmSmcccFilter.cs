using System.Runtime.InteropServices;

namespace Vireo.Kvm;

/// <summary>struct kvm_smccc_filter (arm64 asm/kvm.h, Linux 6.4+): the value of the VM attribute
/// KVM_ARM_VM_SMCCC_FILTER: function IDs [base, base + nr_functions) get action.</summary>
[StructLayout(LayoutKind.Explicit, Size = 24)]
internal struct KvmSmcccFilter
{
    [FieldOffset(0)] public uint Base;
    [FieldOffset(4)] public uint NrFunctions;
    [FieldOffset(8)] public KvmSmcccFilterAction Action;
}
