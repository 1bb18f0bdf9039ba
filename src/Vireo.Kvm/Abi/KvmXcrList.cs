using System.Runtime.CompilerServices;

namespace Vireo.Kvm;

/// <summary>kvm_xcrs.xcrs (asm/kvm.h KVM_MAX_XCRS).</summary>
[InlineArray(16)]
internal struct KvmXcrList
{
    private KvmXcr _element0;
}
