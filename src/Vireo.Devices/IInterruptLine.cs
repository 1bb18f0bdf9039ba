namespace Vireo.Devices;

/// <summary>
/// A device's interrupt output pin. Devices drive it as a level (asserted while they have
/// something pending); the VMM wires it to the interrupt controller (KVM_IRQ_LINE, an irqfd, or
/// a test double). An edge is a rise from deasserted to asserted.
/// </summary>
public interface IInterruptLine
{
    /// <summary>Drives the line; setting the level it already has must be harmless.</summary>
    /// <param name="asserted">True to assert the interrupt, false to deassert it.</param>
    void Set(bool asserted);
}
