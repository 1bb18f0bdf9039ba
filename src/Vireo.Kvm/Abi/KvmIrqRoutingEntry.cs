using System.Runtime.InteropServices;

namespace Vireo.Kvm;

/// <summary>struct kvm_irq_routing_entry (linux/kvm.h), irqchip and MSI variants of its union.</summary>
[StructLayout(LayoutKind.Explicit, Size = 48)]
internal struct KvmIrqRoutingEntry
{
    [FieldOffset(0)] public uint Gsi;
    [FieldOffset(4)] public uint Type;
    [FieldOffset(8)] public uint Flags;
    [FieldOffset(16)] public KvmIrqRoutingIrqchip Irqchip;
    [FieldOffset(16)] public KvmIrqRoutingMsi Msi;

    public static KvmIrqRoutingEntry ForIrqchip(uint gsi, KvmIrqchipId chip, uint pin) => new()
    {
        Gsi = gsi,
        Type = KvmConstants.IrqRoutingIrqchip,
        Irqchip = new KvmIrqRoutingIrqchip { Irqchip = chip, Pin = pin },
    };

    public static KvmIrqRoutingEntry ForMsi(uint gsi, ulong address, uint data) => new()
    {
        Gsi = gsi,
        Type = KvmConstants.IrqRoutingMsi,
        Msi = new KvmIrqRoutingMsi { AddressLo = (uint)address, AddressHi = (uint)(address >> 32), Data = data },
    };
}
