using Vireo.Kvm;
using Vireo.Sys;

namespace Vireo.Vmm;

/// <summary><see cref="IKvmInterrupts"/> on a real VM with an in-kernel irqchip.</summary>
public sealed class KvmInterrupts : IKvmInterrupts
{
    private readonly KvmVm _vm;

    private KvmInterrupts(KvmVm vm, uint gsiLimit)
    {
        _vm = vm;
        GsiLimit = gsiLimit;
    }

    /// <inheritdoc/>
    public uint GsiLimit { get; }

    /// <summary>
    /// Checks that <paramref name="vm"/>'s KVM has GSI routing, irqfd and irqfd resampling
    /// (<see cref="KvmUnavailableException"/> naming the one missing otherwise).
    /// </summary>
    public static KvmInterrupts For(KvmVm vm)
    {
        ArgumentNullException.ThrowIfNull(vm);
        int routes = vm.RequireCapability(KvmCapability.IrqRouting, "MSI and MSI-X routing");
        vm.RequireCapability(KvmCapability.Irqfd, "device interrupts without an exit");
        vm.RequireCapability(KvmCapability.IrqfdResample, "level-triggered INTx with EOI resampling");
        return new KvmInterrupts(vm, (uint)routes);
    }

    /// <inheritdoc/>
    public void SetGsiRouting(ReadOnlySpan<KvmIrqRoutingEntry> table) => _vm.SetGsiRouting(table);

    /// <inheritdoc/>
    public void RegisterIrqfd(EventFd trigger, uint gsi, EventFd? resample = null) => _vm.RegisterIrqfd(trigger, gsi, resample);

    /// <inheritdoc/>
    public void UnregisterIrqfd(EventFd trigger, uint gsi) => _vm.UnregisterIrqfd(trigger, gsi);

    /// <inheritdoc/>
    public void SetIrqLine(uint gsi, bool level) => _vm.SetIrqLine(gsi, level);
}
