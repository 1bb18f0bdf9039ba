using Vireo.Kvm;

namespace Vireo.Vmm.X86;

/// <summary>
/// The CPUID a vCPU sees: what KVM supports, with this vCPU's APIC ID and the machine's
/// topology filled in, and the hypervisor bit set so the guest uses the KVM paravirt leaves
/// (0x40000000 "KVMKVMKVM", 0x40000001 features) that KVM_GET_SUPPORTED_CPUID already lists.
/// </summary>
public static class CpuidSetup
{
    // Intel SDM Vol. 2A, CPUID leaf 01H.
    private const uint Leaf1 = 0x1;
    private const uint Leaf1EcxHypervisor = 1u << 31;
    private const uint Leaf1EdxHtt = 1u << 28;

    // Leaf 0BH / 1FH: extended topology; EDX is the x2APIC ID of the executing processor.
    private const uint LeafExtendedTopology = 0xb;
    private const uint LeafV2ExtendedTopology = 0x1f;

    // Leaf 04H (Intel): deterministic cache parameters; EAX[31:26] = cores per package - 1.
    private const uint LeafCacheParameters = 0x4;

    /// <summary>
    /// Builds the CPUID table for one vCPU from what KVM_GET_SUPPORTED_CPUID returned: leaf 01H
    /// gets the initial APIC ID, the logical-processor count, the hypervisor bit and HTT; leaves
    /// 0BH/1FH get the x2APIC ID; leaf 04H gets the cores-per-package count.
    /// </summary>
    /// <param name="supported">The entries from KVM_GET_SUPPORTED_CPUID; not modified.</param>
    /// <param name="apicId">This vCPU's APIC ID (Vireo uses the vCPU index).</param>
    /// <param name="cpuCount">The number of vCPUs in the machine; clamped to what each field can hold.</param>
    /// <returns>A new array, ready for KVM_SET_CPUID2 on this vCPU.</returns>
    public static KvmCpuidEntry2[] ForVcpu(ReadOnlySpan<KvmCpuidEntry2> supported, uint apicId, int cpuCount)
    {
        KvmCpuidEntry2[] entries = supported.ToArray();
        for (int i = 0; i < entries.Length; i++)
        {
            ref KvmCpuidEntry2 e = ref entries[i];
            switch (e.Function)
            {
                case Leaf1:
                    // EBX[31:24] initial APIC ID, EBX[23:16] logical processors per package.
                    e.Ebx = (e.Ebx & 0x0000_ffff) | (apicId << 24) | ((uint)Math.Min(cpuCount, 255) << 16);
                    e.Ecx |= Leaf1EcxHypervisor;
                    e.Edx = cpuCount > 1 ? e.Edx | Leaf1EdxHtt : e.Edx & ~Leaf1EdxHtt;
                    break;
                case LeafExtendedTopology or LeafV2ExtendedTopology:
                    e.Edx = apicId;
                    break;
                case LeafCacheParameters:
                    // One core per vCPU package slot: report cpuCount cores sharing the package.
                    e.Eax = (e.Eax & 0x03ff_ffff) | ((uint)(Math.Min(cpuCount, 64) - 1) << 26);
                    break;
            }
        }
        return entries;
    }
}
