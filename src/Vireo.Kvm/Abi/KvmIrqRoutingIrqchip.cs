using System.Runtime.InteropServices;

namespace Vireo.Kvm;

/// <summary>struct kvm_irq_routing_irqchip (linux/kvm.h): a GSI wired to a pin of an in-kernel chip.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct KvmIrqRoutingIrqchip
{
    public KvmIrqchipId Irqchip;
    public uint Pin;
}
