using System.Runtime.CompilerServices;

namespace Vireo.Kvm;

/// <summary>kvm_run.mmio.data (linux/kvm.h).</summary>
[InlineArray(8)]
internal struct KvmRunMmioData
{
    private byte _element0;
}
