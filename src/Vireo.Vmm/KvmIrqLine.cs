using Vireo.Devices;
using Vireo.Kvm;

namespace Vireo.Vmm;

/// <summary>A device interrupt pin wired to a GSI of the in-kernel PIC/IOAPIC via KVM_IRQ_LINE:
/// the legacy devices' lines, and an emulated PCI function's INTx
/// (<see cref="DeviceInterrupts.CreateLevelLine"/>). Only level changes reach KVM, so a device
/// re-asserting an asserted line costs nothing; KVM ORs the line with the pin's other sources
/// (irqfds), so functions whose INTx swizzles onto the same GSI share it as PCI lines do.</summary>
public sealed class KvmIrqLine : IInterruptLine
{
    private readonly Action<uint, bool> _setIrqLine;
    private readonly object _gate = new();
    private bool _level;

    /// <summary>A line on <paramref name="gsi"/> of <paramref name="vm"/>.</summary>
    public KvmIrqLine(KvmVm vm, uint gsi)
        : this(vm.SetIrqLine, gsi)
    {
    }

    internal KvmIrqLine(IKvmInterrupts kvm, uint gsi)
        : this(kvm.SetIrqLine, gsi)
    {
    }

    private KvmIrqLine(Action<uint, bool> setIrqLine, uint gsi)
    {
        _setIrqLine = setIrqLine;
        Gsi = gsi;
    }

    /// <summary>The GSI the line drives.</summary>
    public uint Gsi { get; }

    /// <summary>Drives the line; only a change of level reaches KVM.</summary>
    public void Set(bool asserted)
    {
        lock (_gate)
        {
            if (asserted == _level)
            {
                return;
            }
            _level = asserted;
            _setIrqLine(Gsi, asserted);
        }
    }
}
