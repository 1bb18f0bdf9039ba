using System.Runtime.InteropServices;

namespace Vireo.Kvm;

/// <summary>struct kvm_xsave (asm/kvm.h): the legacy 4096-byte XSAVE image of KVM_GET/SET_XSAVE.
/// Hosts with dynamically enabled XSAVE features (AMX) need more: KVM_CHECK_EXTENSION(KVM_CAP_XSAVE2)
/// on the VM fd gives the size, and KVM_GET_XSAVE2 (<see cref="KvmVcpu.GetXsave2"/>) fills it.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct KvmXsave
{
    public KvmXsaveRegion Region;
}
