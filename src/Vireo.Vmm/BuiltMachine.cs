using System.Buffers.Binary;
using System.Globalization;
using Vireo.Devices;
using Vireo.Pci;

namespace Vireo.Vmm;

/// <summary>
/// What <see cref="MachineBuilder"/> returns: the <see cref="Vireo.Vmm.Machine"/> (KVM VM, RAM,
/// buses, vCPUs) with every device on its buses, ready to start, and the handles the control
/// loop needs — the power-management devices, the console, the devices that take part in power
/// transitions, and the resources each device was given. Disposing it releases all of it.
/// </summary>
public sealed class BuiltMachine : IDisposable
{
    private int _disposed;

    private readonly List<IDisposable> _owned;
    private readonly PanicDetector? _panic;
    private readonly List<ISuspendable> _suspendables;
    private readonly BoundPciFunctions? _bound;
    private readonly IReadOnlyList<DevicePowerSlot> _devicePower;
    private readonly Dictionary<int, (ushort Vendor, ushort Device)> _pciIds = [];

    private readonly AcpiPmDevice? _powerManagement;
    private readonly IDisposable? _ownPowerButton;
    private readonly LowPowerIdleDevice? _lowPowerIdle;
    private readonly PciRootBus? _pci;

    internal BuiltMachine(Machine machine, PlatformResources resources, AcpiPmDevice? powerManagement, LowPowerIdleDevice? lowPowerIdle,
        PciRootBus? pci, List<ISuspendable> suspendables, List<IDisposable> owned, Serial8250? console = null, IConsoleInput? consoleInput = null,
        PanicDetector? panic = null, BoundPciFunctions? bound = null, IReadOnlyList<DevicePowerSlot>? devicePower = null,
        Arm64.SdeiFirmware? sdei = null, IMachineSnapshotter? snapshotter = null, IPowerButton? powerButton = null)
    {
        // The PC's button is its ACPI PM block's; a machine without ACPI brings its own.
        PowerButton = powerButton ?? powerManagement;
        _ownPowerButton = powerButton as IDisposable;
        Sdei = sdei;
        Snapshotter = snapshotter;
        _devicePower = devicePower ?? [];
        Machine = machine;
        Resources = resources;
        _powerManagement = powerManagement;
        _lowPowerIdle = lowPowerIdle;
        _pci = pci;
        _suspendables = suspendables;
        _owned = owned;
        Console = console;
        ConsoleInput = consoleInput;
        _panic = panic;
        _bound = bound;
        // Read once, before any vCPU runs: vm.info must never wait on a device server to learn
        // what does not change.
        Span<byte> ids = stackalloc byte[4];
        foreach ((int slot, IPciFunction _) in pci?.Functions.Where(f => f.Slot != 0) ?? [])
        {
            pci!.ReadConfig(slot, PciConfigSpace.VendorIdOffset, ids);
            _pciIds[slot] = (BinaryPrimitives.ReadUInt16LittleEndian(ids), BinaryPrimitives.ReadUInt16LittleEndian(ids[2..]));
        }
    }

    /// <summary>The VM with its RAM, buses and vCPUs.</summary>
    public Machine Machine { get; }

    /// <summary>Every port range, MMIO range, GSI and GPE the devices were given.</summary>
    public PlatformResources Resources { get; }

    /// <summary>Whether the machine has the ACPI platform devices (<see cref="PowerManagement"/>,
    /// <see cref="LowPowerIdle"/>): a PC does; the arm64 machine, which boots from a device tree,
    /// does not.</summary>
    public bool HasAcpiPower => _powerManagement is not null;

    /// <summary>The ACPI PM block: power button, GPEs, SCI, S5.</summary>
    /// <exception cref="VmStateException">The machine has none (<see cref="HasAcpiPower"/>).</exception>
    public AcpiPmDevice PowerManagement => _powerManagement ?? throw new VmStateException(
        "this machine has no ACPI power management (no GPEs or s2idle): the arm64 machine boots from a device tree without it");

    /// <summary>The machine's power button: the ACPI PM block's fixed-feature button on a PC, the
    /// GPIO power key on the arm64 machine; null on a machine without one.</summary>
    public IPowerButton? PowerButton { get; }

    /// <summary>Whether the machine has a <see cref="PowerButton"/>.</summary>
    public bool HasPowerButton => PowerButton is not null;

    /// <summary>The guest's Low Power S0 Idle device, whose _DSM traps report s2idle entry and exit.</summary>
    /// <exception cref="VmStateException">The machine has none (<see cref="HasAcpiPower"/>).</exception>
    public LowPowerIdleDevice LowPowerIdle => _lowPowerIdle ?? throw new VmStateException(
        "this machine has no Low Power S0 Idle device: the arm64 machine boots from a device tree without one yet");

    /// <summary>The machine's SDEI firmware (the arm64 machine's, where KVM forwards the calls), or null.</summary>
    public Arm64.SdeiFirmware? Sdei { get; }

    /// <summary>How the control loop snapshots this machine; null where it cannot be (the PC).</summary>
    internal IMachineSnapshotter? Snapshotter { get; }

    /// <summary>Whether the machine has a PCI root bus.</summary>
    public bool HasPci => _pci is not null;

    /// <summary>The PCI root bus: the host bridge, the attached functions and where their BARs decode.</summary>
    /// <exception cref="VmStateException">The machine has none (<see cref="HasPci"/>).</exception>
    public PciRootBus Pci => _pci ?? throw new VmStateException(
        "this machine has no PCI root bus");

    /// <summary>The PCI functions bound to this machine (<see cref="IMachineBoundPciFunction"/>), in slot order.</summary>
    public IReadOnlyList<IMachineBoundPciFunction> BoundPciFunctions => _bound?.Functions ?? [];

    /// <summary>The MSI, MSI-X and INTx plumbing of the bound functions; null when the machine has none.</summary>
    public DeviceInterrupts? DeviceInterrupts => _bound?.Interrupts;

    /// <summary>The devices the control loop puts to sleep and wakes with the vCPUs, in the order
    /// they sleep (they wake in reverse).</summary>
    public IReadOnlyList<ISuspendable> Suspendables => _suspendables;

    /// <summary>COM1, when the machine has a console.</summary>
    public Serial8250? Console { get; }

    /// <summary>Host keystrokes for the guest's console (<see cref="Console"/>, or the virtio
    /// console when the machine has one), delivered at the guest's pace.</summary>
    public IConsoleInput? ConsoleInput { get; }

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

    /// <summary>Sends every device loss a bound function reports to <paramref name="observer"/>
    /// (the machine's owner), those reported while the machine was built first. It runs on the
    /// reporting thread, so it must only post and return. One observer per machine.</summary>
    public void ObservePciDeviceLoss(Action<IMachineBoundPciFunction, string> observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        _bound?.Observe(observer);
    }

    /// <summary>Sends every power change and notify code of the bound functions
    /// (<see cref="DevicePowerEvent"/>) to <paramref name="observer"/>, on the reporting thread
    /// (a vCPU's for the guest's ACPI methods, a device's for wakes and codes), so it must only
    /// post and return. One observer per machine.</summary>
    public void ObservePciDevicePower(Action<DevicePowerEvent> observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        _bound?.ObservePower(observer);
    }

    /// <summary>The ACPI power and notify slot of the power-managed function <paramref name="id"/>, if any.</summary>
    public DevicePowerSlot? DevicePower(string id) => _devicePower.FirstOrDefault(s => s.Function.Id == id);

    /// <summary>Every power-managed function's ACPI power and notify slot.</summary>
    public IReadOnlyList<DevicePowerSlot> DevicePowerSlots => _devicePower;

    /// <summary>The PCI functions on the root bus, host bridge aside, as <c>vm.info</c> lists
    /// them: IDs as read at build, BARs where they decode now, and what bound functions say of
    /// their interrupts and health.</summary>
    public IReadOnlyList<PciDeviceInfo> DescribePciDevices()
    {
        var devices = new List<PciDeviceInfo>();
        if (_pci is null)
        {
            return devices;
        }
        foreach ((int slot, IPciFunction function) in _pci.Functions.Where(f => f.Slot != 0))
        {
            (ushort vendor, ushort device) = _pciIds.GetValueOrDefault(slot, (ushort.MaxValue, ushort.MaxValue));
            PciBarInfo[] bars = [.. function.Bars.OrderBy(b => b.Index).Select(b => new PciBarInfo(
                b.Index,
                b.Kind switch { PciBarKind.Memory32 => "memory32", PciBarKind.Memory64 => "memory64", _ => "io" },
                b.Size,
                b.Prefetchable,
                Pci.BarAddress(slot, b.Index)))];
            var bound = function as IMachineBoundPciFunction;
            DevicePowerSlot? power = DevicePower(function.Id);
            devices.Add(new PciDeviceInfo(
                function.Id,
                bound?.Backend ?? "emulated",
                string.Create(CultureInfo.InvariantCulture, $"0000:00:{slot:x2}.0"),
                vendor.ToString("x4", CultureInfo.InvariantCulture),
                device.ToString("x4", CultureInfo.InvariantCulture),
                bars,
                bound?.InterruptMode ?? "none",
                bound?.IsAlive ?? true,
                (bound as IPowerManagedPciFunction)?.PowerState ?? "active",
                power?.DState,
                power?.Device.WakeArmed ?? false,
                power is null ? null : EventLatencyInfo.Of(power.NotifyLatency),
                power is null ? null : EventLatencyInfo.Of(power.WakeLatency),
                function is IDeviceCounters counting && counting.ReadCounters() is { Count: > 0 } counters ? new Dictionary<string, long>(counters) : null));
        }
        return devices;
    }

    /// <summary>Stops the vCPUs, unbinds the bound PCI functions while the VM still exists (their
    /// irqfds, ioeventfds and memory slots are the VM's), then disposes the VM and every device
    /// and resource the builder made.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        // A button with a timer of its own (the GPIO key's release) stops before the VM it
        // drives a line of is closed.
        _ownPowerButton?.Dispose();
        if (_bound is not null)
        {
            try
            {
                // No vCPU may be inside a function while it unbinds.
                Machine.Stop();
            }
            finally
            {
                _bound.Dispose();
            }
        }
        // The vCPUs go first: nothing may touch a device after it is disposed.
        Machine.Dispose();
        foreach (IDisposable owned in _owned)
        {
            owned.Dispose();
        }
    }
}
