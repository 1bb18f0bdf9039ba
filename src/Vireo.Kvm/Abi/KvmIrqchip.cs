using System.Runtime.InteropServices;

namespace Vireo.Kvm;

/// <summary>struct kvm_irqchip (linux/kvm.h): one in-kernel interrupt controller's state;
/// <see cref="Pic"/> or <see cref="Ioapic"/> is valid depending on <see cref="ChipId"/>.</summary>
[StructLayout(LayoutKind.Explicit, Size = 520)]
internal struct KvmIrqchip
{
    [FieldOffset(0)] public KvmIrqchipId ChipId;
    [FieldOffset(4)] public uint Pad;
    [FieldOffset(8)] public KvmPicState Pic;
    [FieldOffset(8)] public KvmIoapicState Ioapic;
}
