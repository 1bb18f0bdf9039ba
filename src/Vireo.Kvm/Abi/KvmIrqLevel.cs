using System.Runtime.InteropServices;

namespace Vireo.Kvm;

/// <summary>struct kvm_irq_level (linux/kvm.h) for KVM_IRQ_LINE.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct KvmIrqLevel
{
    /// <summary>The GSI (in the union with status, which only KVM_IRQ_LINE_STATUS writes).</summary>
    public uint Irq;
    public uint Level;
}
