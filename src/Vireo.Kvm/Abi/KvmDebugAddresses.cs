using System.Runtime.CompilerServices;

namespace Vireo.Kvm;

/// <summary>kvm_debugregs.db: DR0-DR3 (asm/kvm.h).</summary>
[InlineArray(4)]
internal struct KvmDebugAddresses
{
    private ulong _element0;
}
