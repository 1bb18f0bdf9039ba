using Vireo.Devices;
using Vireo.Kvm;

namespace Vireo.Vmm;

/// <summary>A device interrupt pin wired to a GSI of the in-kernel PIC/IOAPIC via KVM_IRQ_LINE.
/// Only level changes reach KVM, so a device re-asserting an asserted line costs nothing.</summary>
public sealed class KvmIrqLine(KvmVm vm, uint gsi) : IInterruptLine
{
    private readonly object _gate = new();
    private bool _level;

    /// <summary>The GSI the line drives.</summary>
    public uint Gsi => gsi;

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
            vm.SetIrqLine(gsi, asserted);
        }
    }
}
