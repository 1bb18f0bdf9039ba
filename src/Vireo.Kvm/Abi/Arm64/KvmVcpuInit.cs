using System.Runtime.InteropServices;

namespace Vireo.Kvm;

/// <summary>struct kvm_vcpu_init (arm64 asm/kvm.h): what <see cref="KvmVm.GetPreferredTarget"/>
/// returns and <see cref="KvmVcpu.InitArm64"/> takes: the CPU target and the requested features.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct KvmVcpuInit
{
    /// <summary>KVM_ARM_TARGET_*: use the one KVM_ARM_PREFERRED_TARGET gives.</summary>
    public uint Target;

    /// <summary>The feature bitmap; see <see cref="WithFeature"/>.</summary>
    public KvmVcpuInitFeatures Features;

    /// <summary>This init with <paramref name="feature"/>'s bit set.</summary>
    public readonly KvmVcpuInit WithFeature(KvmArm64VcpuFeature feature)
    {
        (int word, uint bit) = Locate(feature);
        KvmVcpuInit copy = this;
        copy.Features[word] |= bit;
        return copy;
    }

    /// <summary>Whether <paramref name="feature"/>'s bit is set.</summary>
    public readonly bool HasFeature(KvmArm64VcpuFeature feature)
    {
        (int word, uint bit) = Locate(feature);
        return (Features[word] & bit) != 0;
    }

    private static (int Word, uint Bit) Locate(KvmArm64VcpuFeature feature)
    {
        uint number = (uint)feature;
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(number, 7u * 32, nameof(feature));
        return ((int)(number / 32), 1u << (int)(number % 32));
    }
}
