using System.Runtime.CompilerServices;

namespace Vireo.Kvm;

/// <summary>kvm_sregs.interrupt_bitmap: one bit per pending external interrupt vector (asm/kvm.h, KVM_NR_INTERRUPTS 256 / 64).</summary>
[InlineArray(4)]
public struct KvmInterruptBitmap
{
    private ulong _element0;
}
