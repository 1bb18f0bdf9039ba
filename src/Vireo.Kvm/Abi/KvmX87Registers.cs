using System.Runtime.CompilerServices;

namespace Vireo.Kvm;

/// <summary>kvm_fpu.fpr: eight 16-byte x87 register slots, fxsave layout (asm/kvm.h).</summary>
[InlineArray(128)]
public struct KvmX87Registers
{
    private byte _element0;
}
