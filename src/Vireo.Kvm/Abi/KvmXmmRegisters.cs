using System.Runtime.CompilerServices;

namespace Vireo.Kvm;

/// <summary>kvm_fpu.xmm: sixteen 16-byte XMM registers (asm/kvm.h).</summary>
[InlineArray(256)]
public struct KvmXmmRegisters
{
    private byte _element0;
}
