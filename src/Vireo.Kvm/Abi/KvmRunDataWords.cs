using System.Runtime.CompilerServices;

namespace Vireo.Kvm;

/// <summary>kvm_run.internal.data and kvm_run.system_event.data (linux/kvm.h).</summary>
[InlineArray(Length)]
internal struct KvmRunDataWords
{
    internal const int Length = 16;

    private ulong _element0;
}
