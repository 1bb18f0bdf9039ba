using System.Runtime.CompilerServices;

namespace Vireo.Kvm;

/// <summary>kvm_ioapic_state.redirtbl: raw 64-bit redirection entries (asm/kvm.h KVM_IOAPIC_NUM_PINS).</summary>
[InlineArray(24)]
internal struct KvmIoapicRedirectionTable
{
    private ulong _element0;
}
