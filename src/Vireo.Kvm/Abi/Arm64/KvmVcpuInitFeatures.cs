using System.Runtime.CompilerServices;

namespace Vireo.Kvm;

/// <summary>kvm_vcpu_init.features (arm64 asm/kvm.h): a bitmap of <see cref="KvmArm64VcpuFeature"/>
/// bit numbers, 32 per word.</summary>
[InlineArray(7)]
public struct KvmVcpuInitFeatures
{
    private uint _element0;
}
