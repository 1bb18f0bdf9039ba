using System.Runtime.CompilerServices;

namespace Vireo.Kvm;

/// <summary>kvm_xsave.region: the 4096-byte XSAVE image (asm/kvm.h).</summary>
[InlineArray(1024)]
internal struct KvmXsaveRegion
{
    private uint _element0;
}
