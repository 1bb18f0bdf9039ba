using Vireo.Kvm;
using Vireo.Sys;

namespace Vireo.Vmm;

/// <summary><see cref="IKvmInterrupts"/> on a real VM with an in-kernel irqchip.</summary>
public sealed class KvmInterrupts : IKvmInterrupts
{
    private readonly KvmVm _vm;
    private readonly Func<uint, uint> _lineField;

    private KvmInterrupts(KvmVm vm, uint gsiLimit, IReadOnlyList<KvmIrqRoutingEntry> defaultRoutes, Func<uint, uint> lineField)
    {
        _vm = vm;
        GsiLimit = gsiLimit;
        DefaultRoutes = defaultRoutes;
        _lineField = lineField;
        // Asked of the VM, not the system: nonzero once the VM has an ITS (create it first).
        MsiCarriesDeviceId = vm.CheckExtension(KvmCapability.MsiDevid) > 0;
    }

    /// <inheritdoc/>
    public uint GsiLimit { get; }

    /// <inheritdoc/>
    public IReadOnlyList<KvmIrqRoutingEntry> DefaultRoutes { get; }

    /// <inheritdoc/>
    public bool MsiCarriesDeviceId { get; }

    /// <summary>
    /// Checks that <paramref name="vm"/>'s KVM has GSI routing, irqfd and irqfd resampling
    /// (<see cref="KvmUnavailableException"/> naming the one missing otherwise).
    /// </summary>
    public static KvmInterrupts For(KvmVm vm) => new(vm, RequireCapabilities(vm), KvmDefaultIrqRouting.Entries, gsi => gsi);

    /// <summary>
    /// As <see cref="For"/>, for an arm64 VM whose in-kernel GICv3 has <paramref name="spis"/>
    /// SPIs (and, if the VM has one, an ITS for MSIs, whose routes then carry the device's
    /// requester ID: create the ITS before this): GSI n is SPI n (INTID 32 + n) both for irqfds, through the vGIC's default routes, and
    /// for KVM_IRQ_LINE, whose arm64 irq field names the SPI by its INTID
    /// (<see cref="KvmArmIrqLine.Spi"/>).
    /// </summary>
    public static KvmInterrupts ForGicv3(KvmVm vm, uint spis) =>
        new(vm, RequireCapabilities(vm), KvmDefaultIrqRouting.Gicv3(spis), gsi => KvmArmIrqLine.Spi(KvmArmIrqLine.FirstSpi + gsi));

    private static uint RequireCapabilities(KvmVm vm)
    {
        ArgumentNullException.ThrowIfNull(vm);
        int routes = vm.RequireCapability(KvmCapability.IrqRouting, "MSI and MSI-X routing");
        vm.RequireCapability(KvmCapability.Irqfd, "device interrupts without an exit");
        vm.RequireCapability(KvmCapability.IrqfdResample, "level-triggered INTx with EOI resampling");
        return (uint)routes;
    }

    /// <inheritdoc/>
    public void SetGsiRouting(ReadOnlySpan<KvmIrqRoutingEntry> table) => _vm.SetGsiRouting(table);

    /// <inheritdoc/>
    public void RegisterIrqfd(EventFd trigger, uint gsi, EventFd? resample = null) => _vm.RegisterIrqfd(trigger, gsi, resample);

    /// <inheritdoc/>
    public void UnregisterIrqfd(EventFd trigger, uint gsi) => _vm.UnregisterIrqfd(trigger, gsi);

    /// <inheritdoc/>
    public void SetIrqLine(uint gsi, bool level) => _vm.SetIrqLine(_lineField(gsi), level);
}
