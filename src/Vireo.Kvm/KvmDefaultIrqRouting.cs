namespace Vireo.Kvm;

/// <summary>
/// The x86 routing table KVM_CREATE_IRQCHIP installs (kvm_setup_default_irq_routing in
/// arch/x86/kvm/irq_comm.c): GSIs 0-15 to IOAPIC pin n and to pin n mod 8 of the master
/// (n &lt; 8) or slave PIC; GSIs 16-23 to IOAPIC pin n only. A VMM that sets its own table with
/// KVM_SET_GSI_ROUTING must include these routes or the legacy interrupts stop.
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
}
