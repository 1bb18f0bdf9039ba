namespace Vireo.Vmm;

/// <summary>
/// A PCI function whose device the host can put in low power while the guest keeps it (VFIO's
/// LOW_POWER_ENTRY / _WITH_WAKEUP / EXIT device features, Linux 6.1, and their vfio-user
/// equivalents). The policy is the VMM's, not the kernel's: the control loop decides when, from
/// the API. Any access wakes the device; mmap'd BAR areas are taken out of the guest's memory map
/// first, since the kernel refuses them while the device is low.
/// </summary>
public interface IPowerManagedPciFunction : IMachineBoundPciFunction
{
    /// <summary>"active", or "low-power" while the device may be in low power.</summary>
    string PowerState { get; }

    /// <summary>Lets the device enter low power. With <paramref name="armWake"/> and the device's
    /// support, it enters with a one-shot wake eventfd (LOW_POWER_ENTRY_WITH_WAKEUP): when it
    /// wakes (by itself, or at the first access afterwards) the function reports "active" through
    /// <see cref="PciFunctionHost.PowerChanged"/>. Without, plain LOW_POWER_ENTRY, unless the
    /// device offers only the wakeup form. No-op when low already.</summary>
    /// <param name="armWake">Whether a wake is wanted (the guest armed one through _DSW, or the host asks).</param>
    /// <returns>Whether the device entered with a wake eventfd (the form used, not the one asked
    /// for: a device may offer only one), or for a device low already, whether its entry has one.</returns>
    /// <exception cref="InvalidOperationException">The device cannot (no support, not bound, lost); the message says why.</exception>
    bool EnterLowPower(bool armWake = true);

    /// <summary>Brings the device back to full power (LOW_POWER_EXIT, also after a wake, which
    /// closes the entry) and its mmap'd areas back into the guest. No-op when no entry is open.</summary>
    /// <exception cref="InvalidOperationException">The device refused; the message says why.</exception>
    void ExitLowPower();

    /// <summary>True once <see cref="Eject"/> has released the device: no machine attaches the
    /// function again (its slot stays empty across reboots).</summary>
    bool IsEjected { get; }

    /// <summary>The guest ejected the function from its slot (_EJ0, after it stopped using it):
    /// unbinds it from the machine (interrupts, DMA mappings, ioeventfds, its events
    /// thread) and closes the device for good — a vfio-user connection, a kernel VFIO device's
    /// descriptors, which hands the device back to the host. From then on its config space and
    /// BARs read all-ones without reaching the device and nothing reports it lost. A second call
    /// does nothing. Never throws.</summary>
    void Eject();
}
