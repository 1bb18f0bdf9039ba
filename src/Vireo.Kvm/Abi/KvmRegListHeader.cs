using System.Runtime.InteropServices;

namespace Vireo.Kvm;

/// <summary>struct kvm_reg_list (linux/kvm.h) for KVM_GET_REG_LIST: the count n followed by the
/// flexible array of u64 register ids, of which this carries the first.</summary>
[StructLayout(LayoutKind.Explicit, Size = 16)]
internal struct KvmRegListHeader
{
    /// <summary>sizeof(struct kvm_reg_list) without the flexible array, for the ioctl number.</summary>
    internal const int HeaderSize = 8;

    [FieldOffset(0)] public ulong N;
    [FieldOffset(HeaderSize)] public ulong FirstReg;
}
