using Vireo.Devices;

namespace Vireo.Vmm;

/// <summary>
/// What <see cref="MachineBuilder"/> returns: the <see cref="Vireo.Vmm.Machine"/> (KVM VM, RAM,
/// buses, vCPUs) with every device on its buses, ready to start, and the handles the control
/// loop needs — the power-management devices, the console, the devices that take part in power
/// transitions, and the resources each device was given. Disposing it releases all of it.
/// </summary>
public sealed class BuiltMachine : IDisposable
{
    private readonly List<IDisposable> _owned;
    private readonly PanicDetector? _panic;
    private readonly List<ISuspendable> _suspendables;

    internal BuiltMachine(Machine machine, PlatformResources resources, AcpiPmDevice powerManagement, LowPowerIdleDevice lowPowerIdle,
        PciRootBus pci, List<ISuspendable> suspendables, List<IDisposable> owned, Serial8250? console = null, ConsoleInputPump? consoleInput = null,
        PanicDetector? panic = null)
    {
        Machine = machine;
        Resources = resources;
        PowerManagement = powerManagement;
        LowPowerIdle = lowPowerIdle;
        Pci = pci;
        _suspendables = suspendables;
        _owned = owned;
        Console = console;
        ConsoleInput = consoleInput;
        _panic = panic;
    }

    /// <summary>The VM with its RAM, buses and vCPUs.</summary>
    public Machine Machine { get; }

    /// <summary>Every port range, MMIO range, GSI and GPE the devices were given.</summary>
    public PlatformResources Resources { get; }

    /// <summary>The ACPI PM block: power button, GPEs, SCI, S5.</summary>
    public AcpiPmDevice PowerManagement { get; }

    /// <summary>The guest's Low Power S0 Idle device, whose _DSM traps report s2idle entry and exit.</summary>
    public LowPowerIdleDevice LowPowerIdle { get; }

    /// <summary>The PCI root bus: the host bridge, the attached functions and where their BARs decode.</summary>
    public PciRootBus Pci { get; }

    /// <summary>The devices the control loop puts to sleep and wakes with the vCPUs, in the order
    /// they sleep (they wake in reverse).</summary>
    public IReadOnlyList<ISuspendable> Suspendables => _suspendables;

    /// <summary>COM1, when the machine has a console.</summary>
    public Serial8250? Console { get; }

    /// <summary>Host keystrokes for <see cref="Console"/>, delivered at the guest's pace.</summary>
    public ConsoleInputPump? ConsoleInput { get; }

    /// <summary>The guest kernel's panic line, once its console printed one.</summary>
    public string? PanicLine => _panic?.PanicLine;

    /// <summary>Adds a device that a caller put on the buses itself (a benchmark's or a test's)
    /// to the power transitions; before the machine starts.</summary>
    public void AddSuspendable(ISuspendable device)
    {
        ArgumentNullException.ThrowIfNull(device);
        _suspendables.Add(device);
    }

    /// <summary>Makes a suspended-to-idle guest's s2idle loop see a wakeup: the ACPI fixed-feature
    /// global event (GBL_STS), which the guest's ACPI core enables itself with no driver loaded
    /// (<see cref="IS2IdleHost.InjectWake"/> says why). Called by the control loop with every vCPU
    /// parked, just before it unparks them.</summary>
    public void InjectS2IdleWake() => PowerManagement.RaiseGlobalEvent();

    /// <summary>
    /// Clears the wake's GBL_STS at the guest's LPS0 exit trap, once its s2idle loop has seen it.
    /// The guest's SCI is still suspended then (the exit _DSM runs before dpm_resume_noirq), so its
    /// SCI handler never has to look at it; left set it would only be a spurious global-lock event
    /// for the guest, but still an SCI.
    /// </summary>
    public void AcknowledgeS2IdleWake() => PowerManagement.ClearGlobalEvent();

    /// <summary>Disposes the vCPUs and the VM first, then every device and resource the builder made.</summary>
    public void Dispose()
    {
        // The vCPUs go first: nothing may touch a device after it is disposed.
        Machine.Dispose();
        foreach (IDisposable owned in _owned)
        {
            owned.Dispose();
        }
    }
}
