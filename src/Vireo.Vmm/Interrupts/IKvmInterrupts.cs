using Vireo.Kvm;
using Vireo.Sys;

namespace Vireo.Vmm;

/// <summary>
/// The KVM calls device interrupts are built from, behind an interface so the router and
/// the vector logic are tested without a VM. <see cref="KvmInterrupts"/> is the real one.
/// </summary>
public interface IKvmInterrupts
{
    /// <summary>The bound on GSI numbers (KVM_CAP_IRQ_ROUTING answers KVM_MAX_IRQ_ROUTES).</summary>
    uint GsiLimit { get; }

    /// <summary>The irqchip's own routes, which every table this VM gets starts with: the PC's
    /// PIC/IOAPIC pins (<see cref="KvmDefaultIrqRouting.Entries"/>) or the arm64 vGIC's SPIs
    /// (<see cref="KvmDefaultIrqRouting.Gicv3"/>). GSIs above the highest one are free for MSI.</summary>
    IReadOnlyList<KvmIrqRoutingEntry> DefaultRoutes { get; }

    /// <summary>Whether MSI routes must name the sending device by its requester ID
    /// (KVM_CAP_MSI_DEVID on the VM: an arm64 VM with an ITS, which translates an MSI by device
    /// and event). A PC's MSIs carry none.</summary>
    bool MsiCarriesDeviceId { get; }

    /// <summary>KVM_SET_GSI_ROUTING: replaces the whole table.</summary>
    void SetGsiRouting(ReadOnlySpan<KvmIrqRoutingEntry> table);

    /// <summary>KVM_IRQFD: a signal on <paramref name="trigger"/> raises <paramref name="gsi"/>;
    /// with <paramref name="resample"/> the line is level-triggered and the guest's EOI lowers it
    /// and signals <paramref name="resample"/>.</summary>
    void RegisterIrqfd(EventFd trigger, uint gsi, EventFd? resample = null);

    /// <summary>KVM_IRQFD with KVM_IRQFD_FLAG_DEASSIGN.</summary>
    void UnregisterIrqfd(EventFd trigger, uint gsi);

    /// <summary>KVM_IRQ_LINE: drives <paramref name="gsi"/> (an IOAPIC pin on a PC, SPI n on
    /// arm64: the same number an irqfd on it uses) to <paramref name="level"/> from userspace;
    /// KVM ORs it with the pin's other sources (irqfds).</summary>
    void SetIrqLine(uint gsi, bool level);
}
