using System.Runtime.CompilerServices;

namespace Vireo.Kvm;

/// <summary>kvm_run.hypercall.args (linux/kvm.h).</summary>
[InlineArray(6)]
internal struct KvmRunHypercallArgs
{
    private ulong _element0;
}
