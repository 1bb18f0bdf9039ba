namespace Vireo.Kvm;

/// <summary>The irq field of KVM_IRQ_LINE on arm64 (arm64 asm/kvm.h): a type, a vCPU index (for
/// PPIs) and an interrupt number packed into 32 bits. Pass the result to <see cref="KvmVm.SetIrqLine"/>.</summary>
public static class KvmArmIrqLine
{
    /// <summary>KVM_ARM_IRQ_TYPE_SHIFT.</summary>
    public const int TypeShift = 24;

    /// <summary>KVM_ARM_IRQ_TYPE_MASK.</summary>
    public const uint TypeMask = 0xf;

    /// <summary>KVM_ARM_IRQ_VCPU_SHIFT.</summary>
    public const int VcpuShift = 16;

    /// <summary>KVM_ARM_IRQ_VCPU_MASK.</summary>
    public const uint VcpuMask = 0xff;

    /// <summary>KVM_ARM_IRQ_VCPU2_SHIFT: bits 8-11 of the vCPU index with KVM_CAP_ARM_IRQ_LINE_LAYOUT_2.</summary>
    public const int Vcpu2Shift = 28;

    /// <summary>KVM_ARM_IRQ_VCPU2_MASK.</summary>
    public const uint Vcpu2Mask = 0xf;

    /// <summary>KVM_ARM_IRQ_NUM_SHIFT.</summary>
    public const int NumShift = 0;

    /// <summary>KVM_ARM_IRQ_NUM_MASK.</summary>
    public const uint NumMask = 0xffff;

    /// <summary>KVM_ARM_IRQ_TYPE_CPU: the IRQ/FIQ line of a vCPU without an in-kernel GIC.</summary>
    public const uint TypeCpu = 0;

    /// <summary>KVM_ARM_IRQ_TYPE_SPI: a shared peripheral interrupt of the in-kernel GIC.</summary>
    public const uint TypeSpi = 1;

    /// <summary>KVM_ARM_IRQ_TYPE_PPI: a private peripheral interrupt of one vCPU.</summary>
    public const uint TypePpi = 2;

    /// <summary>The first SPI's interrupt ID (GICv3: SPIs are INTIDs 32-1019).</summary>
    public const uint FirstSpi = 32;

    /// <summary>The last SPI's interrupt ID.</summary>
    public const uint LastSpi = 1019;

    /// <summary>The irq field for SPI <paramref name="intid"/>, the GIC interrupt ID (32-1019; the
    /// device tree's SPI number plus 32).</summary>
    public static uint Spi(uint intid)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(intid, FirstSpi);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(intid, LastSpi);
        return (TypeSpi << TypeShift) | (intid << NumShift);
    }

    /// <summary>The irq field for PPI <paramref name="intid"/> (16-31) of the vCPU at index
    /// <paramref name="vcpuIndex"/> (0-255, the layout without KVM_CAP_ARM_IRQ_LINE_LAYOUT_2).</summary>
    public static uint Ppi(uint vcpuIndex, uint intid)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(vcpuIndex, VcpuMask);
        ArgumentOutOfRangeException.ThrowIfLessThan(intid, 16u);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(intid, FirstSpi - 1);
        return (TypePpi << TypeShift) | (vcpuIndex << VcpuShift) | (intid << NumShift);
    }
}
