using System.Runtime.CompilerServices;

namespace Vireo.Kvm;

/// <summary>kvm_run.internal.data and kvm_run.system_event.data (linux/kvm.h).</summary>
[InlineArray(16)]
internal struct KvmRunDataWords
{
    private ulong _element0;
}
