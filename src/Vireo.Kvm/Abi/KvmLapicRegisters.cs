using System.Runtime.CompilerServices;

namespace Vireo.Kvm;

/// <summary>kvm_lapic_state.regs: the local APIC register page (asm/kvm.h KVM_APIC_REG_SIZE).</summary>
[InlineArray(1024)]
public struct KvmLapicRegisters
{
    private byte _element0;
}
