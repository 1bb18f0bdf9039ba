namespace Vireo.Devices;

/// <summary>
/// A device's interrupt output pin. Devices drive it as a level (asserted while they have
/// something pending); the VMM wires it to the interrupt controller (KVM_IRQ_LINE, an irqfd, or
/// a test double). An edge is a rise from deasserted to asserted.
/// </summary>
public interface IInterruptLine
{
    void Set(bool asserted);
}
