using System.Runtime.InteropServices;

namespace Vireo.Kvm;

/// <summary>struct kvm_irq_routing_msi (linux/kvm.h): a GSI that sends an MSI.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct KvmIrqRoutingMsi
{
    public uint AddressLo;
    public uint AddressHi;
    public uint Data;

    /// <summary>The union with pad; used only with KVM_MSI_VALID_DEVID.</summary>
    public uint DevId;
}
