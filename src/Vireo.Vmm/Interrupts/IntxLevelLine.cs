namespace Vireo.Vmm;

/// <summary>
/// An emulated PCI function's INTx pin, driven from userspace with KVM_IRQ_LINE (see
/// <see cref="DeviceInterrupts.CreateLevelLine"/>). The function keeps it high while it has an
/// interrupt the guest has not taken; KVM ORs it with the pin's other sources, so functions
/// whose INTx swizzles onto the same GSI share it as PCI lines do.
/// </summary>
public sealed class IntxLevelLine
{
    private readonly IKvmInterrupts _kvm;
    private readonly object _gate = new();
    private bool _level;

    internal IntxLevelLine(IKvmInterrupts kvm, uint gsi)
    {
        _kvm = kvm;
        Gsi = gsi;
    }

    /// <summary>The GSI (an IOAPIC pin) the line drives.</summary>
    public uint Gsi { get; }

    /// <summary>Whether the line is high now.</summary>
    public bool Level
    {
        get
        {
            lock (_gate)
            {
                return _level;
            }
        }
    }

    /// <summary>Drives the line; only a change of level reaches KVM.</summary>
    public void Set(bool level)
    {
        lock (_gate)
        {
            if (level == _level)
            {
                return;
            }
            _level = level;
            _kvm.SetIrqLine(Gsi, level);
        }
    }
}
