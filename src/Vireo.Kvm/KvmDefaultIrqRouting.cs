namespace Vireo.Kvm;

/// <summary>
/// The x86 routing table KVM_CREATE_IRQCHIP installs (kvm_setup_default_irq_routing in
/// arch/x86/kvm/irq_comm.c): GSIs 0-15 to IOAPIC pin n and to pin n mod 8 of the master
/// (n &lt; 8) or slave PIC; GSIs 16-23 to IOAPIC pin n only. A VMM that sets its own table with
/// KVM_SET_GSI_ROUTING must include these routes or the legacy interrupts stop. On arm64 the
/// vGIC installs its own (<see cref="Gicv3"/>).
/// </summary>
public static class KvmDefaultIrqRouting
{
    /// <summary>KVM_IOAPIC_NUM_PINS (arch/x86/kvm/ioapic.h): GSIs below this are IOAPIC pins.</summary>
    public const uint IoapicPins = 24;

    /// <summary>GSIs below this also reach the PIC pair.</summary>
    public const uint PicPins = 16;

    /// <summary>The default routes, in the kernel's order (IOAPIC before PIC for each GSI).</summary>
    public static IReadOnlyList<KvmIrqRoutingEntry> Entries { get; } = Build();

    private static KvmIrqRoutingEntry[] Build()
    {
        var entries = new List<KvmIrqRoutingEntry>();
        for (uint gsi = 0; gsi < IoapicPins; gsi++)
        {
            entries.Add(KvmIrqRoutingEntry.ForIrqchip(gsi, KvmIrqchipId.Ioapic, gsi));
            if (gsi < PicPins)
            {
                entries.Add(KvmIrqRoutingEntry.ForIrqchip(gsi, gsi < 8 ? KvmIrqchipId.PicMaster : KvmIrqchipId.PicSlave, gsi % 8));
            }
        }
        return [.. entries];
    }

    /// <summary>arm64: the in-kernel vGIC, irqchip 0 of an arm64 VM's routing entries (KVM_NR_IRQCHIPS
    /// is 1 there); its pin n is SPI n, GIC interrupt ID 32 + n (arch/arm64/kvm/vgic/vgic-irqfd.c).</summary>
    public const KvmIrqchipId GicIrqchip = 0;

    /// <summary>
    /// The arm64 table the vGIC installs when it is initialised
    /// (kvm_vgic_setup_default_irq_routing in arch/arm64/kvm/vgic/vgic-irqfd.c): GSI n to pin n of
    /// irqchip 0 for each of its <paramref name="spis"/> SPIs, so GSI n raises SPI n (INTID 32 + n).
    /// </summary>
    public static IReadOnlyList<KvmIrqRoutingEntry> Gicv3(uint spis)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(spis, KvmArmIrqLine.LastSpi - KvmArmIrqLine.FirstSpi + 1);
        var entries = new KvmIrqRoutingEntry[spis];
        for (uint gsi = 0; gsi < spis; gsi++)
        {
            entries[gsi] = KvmIrqRoutingEntry.ForIrqchip(gsi, GicIrqchip, gsi);
        }
        return entries;
    }
}
