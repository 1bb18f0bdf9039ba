using Vireo.Acpi;
using Vireo.Devices;
using Vireo.Kvm;
using Vireo.Loader;
using Vireo.Memory;
using Vireo.Pci;
using Vireo.Vmm.X86;

namespace Vireo.Vmm;

/// <summary>
/// Assembles machines, in the manner of Firecracker's builder: one call creates the KVM VM,
/// RAM, irqchip and buses, puts every device on them at resources from one
/// <see cref="PlatformResources"/>, writes the ACPI tables the devices describe, loads the
/// kernel and sets up the boot vCPU, and returns a <see cref="BuiltMachine"/> — or releases what
/// it had made and throws. `vireo run`, `vireo acpi dump`, the benchmarks and the tests all build
/// through here, so they get the same wiring.
/// </summary>
public static class MachineBuilder
{
    /// <summary>COM1's base port.</summary>
    public static readonly PioAddress Com1 = new(0x3f8);
    /// <summary>COM1's ISA IRQ.</summary>
    public const uint Com1Irq = 4;
    /// <summary>The i8042's data port.</summary>
    public static readonly PioAddress I8042Data = new(0x60);
    /// <summary>The i8042's command/status port.</summary>
    public static readonly PioAddress I8042Command = new(0x64);
    /// <summary>The keyboard's ISA IRQ.</summary>
    public const uint KeyboardIrq = 1;
    /// <summary>The CMOS RTC's index port (data follows).</summary>
    public static readonly PioAddress Rtc = new(0x70);

    /// <summary>The first port the PCI root bus places I/O BARs at; 0xD00-0xFFF stays free, as on PCs.</summary>
    public static readonly PioAddress PciIoBarBase = new(0x1000);

    /// <summary>
    /// The machine of the snapshot in <paramref name="directory"/> (<paramref name="document"/>,
    /// read by <see cref="SnapshotStore.Load"/>), holding the snapshot's state, for a guest that
    /// continues where the snapshot stopped. Snapshots are of the arm64 machine
    /// (<see cref="Arm64.Arm64Snapshot"/>); a PC cannot be restored yet, and says so.
    /// </summary>
    public static BuiltMachine RestoreLinux(KvmSystem kvm, LinuxVmConfig config, string directory, SnapshotDocument document,
        Action<ReadOnlySpan<byte>> consoleOutput, Action<string>? warn = null)
    {
        if (System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture != System.Runtime.InteropServices.Architecture.Arm64)
        {
            throw new SnapshotException("Vireo snapshots and restores the arm64 machine only; the PC (x86-64) has no snapshot yet");
        }
        return Arm64.Arm64MachineBuilder.Restore(kvm, config, directory, document, consoleOutput, warn);
    }

    /// <summary>The power button of the machine <see cref="BuildLinux"/> builds on this host, as
    /// messages name it: the PC's ACPI power button, or the arm64 machine's GPIO power key.</summary>
    public static string HostPowerButtonName =>
        System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.Arm64
            ? GpioPowerKey.ButtonName
            : AcpiPmDevice.PowerButtonTitle;

    /// <summary>
    /// A PC that boots a Linux bzImage through the 64-bit boot protocol (on an arm64 host, the
    /// arm64 machine of <see cref="Arm64.Arm64MachineBuilder"/>): in-kernel
    /// PIC/IOAPIC/LAPIC and PIT, an 8250 console on COM1, the i8042 for reset, the CMOS RTC, the
    /// ACPI PM block and LPS0 device, the PCI root bus with the configured functions, and an MP
    /// table for SMP. A bad kernel or initramfs fails with <see cref="KernelImageException"/>
    /// before any VM exists.
    /// </summary>
    public static BuiltMachine BuildLinux(KvmSystem kvm, LinuxVmConfig config, Action<ReadOnlySpan<byte>> consoleOutput, Action<string>? warn = null)
    {
        ArgumentNullException.ThrowIfNull(kvm);
        ArgumentNullException.ThrowIfNull(config);
        if (System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.Arm64)
        {
            // An arm64 host builds Vireo's arm64 machine instead: a device tree, a GICv3, an MMIO UART.
            return Arm64.Arm64MachineBuilder.BuildLinux(kvm, config, consoleOutput, warn);
        }
        BzImage kernel = BzImage.Load(config.KernelPath);
        if (config.InitramfsPath is not null && !File.Exists(config.InitramfsPath))
        {
            // Before any VM exists; the loader reads it into guest RAM once the RAM is there.
            throw new KernelImageException($"cannot read initramfs {config.InitramfsPath}: no such file");
        }

        Machine machine = CreateMachine(kvm, new MachineConfig
        {
            MemoryBytes = config.MemoryBytes,
            Cpus = config.Cpus,
            MemoryBacking = MemoryBackingFor(config.PciFunctions, config.MemoryBacking),
            InKernelIrqchip = true,
        }, warn);
        var owned = new List<IDisposable>();
        BoundPciFunctions? bound = null;
        try
        {
            PlatformResources resources = PlatformResources.ForPc(AcpiPmDevice.GpeCount);
            var panic = new PanicDetector();
            Action<ReadOnlySpan<byte>> output = bytes =>
            {
                panic.Observe(bytes);
                consoleOutput(bytes);
            };
            var console = new Serial8250(new KvmIrqLine(machine.Vm, Com1Irq), output);
            IConsoleInput input = ConnectConsole(config, console, output, owned);
            (AcpiPmDevice pm, LowPowerIdleDevice lps) = AddPowerManagement(machine, resources, new KvmIrqLine(machine.Vm, AcpiPlatform.SciIrq), owned);
            PciBarMemorySlots barSlots = BarMemorySlots(machine, owned, warn);
            PciRootBus pci = AddPciRoot(machine.Pio, machine.Mmio, resources, config.MemoryBytes, config.PciFunctions, warn, barSlots.OnMemoryBarPlaced);
            IReadOnlyList<DevicePowerSlot> devicePower = AddDevicePower(machine.Pio, resources, pm, pci);
            bound = BindPciFunctions(machine, pci, barSlots, devicePower, warn);
            List<ISuspendable> suspendables = [.. AddLegacyDevices(machine, resources, config, console), pm, (ISuspendable)input];

            // The DSDT is what the devices describe of themselves.
            PlacedAcpiTables acpi = new AcpiPlatform(config.Cpus, DeviceAml(pm, lps, pci, devicePower), mcfg: new Mcfg(pci.McfgAllocation)).WriteTo(machine.Memory);
            LoadKernel(kvm, machine, kernel, config, acpi, pci.Layout);
            return new BuiltMachine(machine, resources, pm, lps, pci, suspendables, owned, console, input, panic, bound, devicePower);
        }
        catch
        {
            bound?.Dispose();
            machine.Dispose();
            owned.ForEach(o => o.Dispose());
            throw;
        }
    }

    /// <summary>The host console's two ends on this machine: every guest console's output (the
    /// 8250's and, when the machine has a virtio console, hvc0's) goes to
    /// <paramref name="output"/>, and host keystrokes go to the one device the console is: the
    /// virtio console when there is one (the user asked for hvc0), else the 8250.</summary>
    internal static IConsoleInput ConnectConsole(LinuxVmConfig config, Serial8250 uart, Action<ReadOnlySpan<byte>> output, List<IDisposable> owned)
    {
        if (config.PciFunctions.Select(a => a.Function).OfType<VirtioMachineFunction>().FirstOrDefault(f => f.Device is Virtio.VirtioConsole) is { } function)
        {
            var device = (Virtio.VirtioConsole)function.Device;
            device.ConnectOutput(output);
            var virtioInput = new VirtioConsoleInput(device, () => function.Transport.NotifyQueue(Virtio.VirtioConsole.ReceiveQueue));
            owned.Add(virtioInput);
            return virtioInput;
        }
        var pump = new ConsoleInputPump(uart);
        owned.Add(pump);
        return pump;
    }

    /// <summary>
    /// A machine with no guest loaded and no irqchip — for benchmarks and tests that write their
    /// own guest code — with the same power-management devices and PCI root bus at the same
    /// resources as <see cref="BuildLinux"/>, so the control loop drives it exactly as a Linux guest's.
    /// </summary>
    public static BuiltMachine BuildBare(KvmSystem kvm, MachineConfig config, Action<string>? warn = null)
    {
        ArgumentNullException.ThrowIfNull(kvm);
        ArgumentNullException.ThrowIfNull(config);
        if (!config.InKernelIrqchip && BoundFunctions(config.PciFunctions) is [IMachineBoundPciFunction first, ..])
        {
            throw new MachineBuildException($"PCI function {first.Id} ({first.Backend}) needs the in-kernel irqchip for its interrupts; build the machine with one");
        }
        Machine machine = CreateMachine(kvm, config with { MemoryBacking = MemoryBackingFor(config.PciFunctions, config.MemoryBacking) }, warn);
        var owned = new List<IDisposable>();
        BoundPciFunctions? bound = null;
        try
        {
            PlatformResources resources = PlatformResources.ForPc(AcpiPmDevice.GpeCount);
            IInterruptLine sci = config.InKernelIrqchip ? new KvmIrqLine(machine.Vm, AcpiPlatform.SciIrq) : new NoInterruptLine();
            (AcpiPmDevice pm, LowPowerIdleDevice lps) = AddPowerManagement(machine, resources, sci, owned);
            PciBarMemorySlots barSlots = BarMemorySlots(machine, owned, warn);
            PciRootBus pci = AddPciRoot(machine.Pio, machine.Mmio, resources, config.MemoryBytes, config.PciFunctions, warn, barSlots.OnMemoryBarPlaced);
            IReadOnlyList<DevicePowerSlot> devicePower = AddDevicePower(machine.Pio, resources, pm, pci);
            bound = BindPciFunctions(machine, pci, barSlots, devicePower, warn);
            return new BuiltMachine(machine, resources, pm, lps, pci, [pm], owned, bound: bound, devicePower: devicePower);
        }
        catch
        {
            bound?.Dispose();
            machine.Dispose();
            owned.ForEach(o => o.Dispose());
            throw;
        }
    }

    /// <summary>The ACPI tables a VM with <paramref name="config"/> gets, without building one
    /// (`vireo acpi dump`): the same devices at the same resources describe themselves.</summary>
    public static AcpiPlatform LinuxAcpiTables(LinuxVmConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var owned = new List<IDisposable>();
        try
        {
            var resources = PlatformResources.ForPc(AcpiPmDevice.GpeCount);
            var pm = new AcpiPmDevice(new NoInterruptLine());
            owned.Add(pm);
            ReservePowerManagement(resources);
            var lps = new LowPowerIdleDevice(AllocateLowPowerIdlePort(resources));
            // Buses of its own: nothing runs, only the root bus's layout and slots matter.
            var pio = new Bus<PioAddress>("pio");
            PciRootBus pci = AddPciRoot(pio, new Bus<MmioAddress>("mmio"), resources, config.MemoryBytes, config.PciFunctions, warn: null, barPlaced: null);
            IReadOnlyList<DevicePowerSlot> devicePower = AddDevicePower(pio, resources, pm, pci);
            return new AcpiPlatform(config.Cpus, DeviceAml(pm, lps, pci, devicePower), mcfg: new Mcfg(pci.McfgAllocation));
        }
        finally
        {
            owned.ForEach(o => o.Dispose());
        }
    }

    /// <summary>What the DSDT is made of: each device in ACPI describes itself.</summary>
    private static IEnumerable<IAml> DeviceAml(AcpiPmDevice pm, LowPowerIdleDevice lps, PciRootBus pci, IReadOnlyList<DevicePowerSlot> devicePower) =>
        [pm, .. HostGpes.Aml(), lps, pci, .. devicePower.Select(p => p.Device)];

    /// <summary>
    /// ACPI power for every power-managed function on the root bus (seeds 000 and 002): four
    /// ports of registers (<see cref="SlotPowerDevice"/>) and two GPEs, one for its notify codes
    /// and one for its wake, and in its slot's Device the power resource, _PR0/_PR3, _PS0/_PS3,
    /// _S0W, _PRW and _DSW that trap to those registers. One GPE pair per device keeps each
    /// device's codes in its own order and out of every other device's object.
    /// </summary>
    private static IReadOnlyList<DevicePowerSlot> AddDevicePower(Bus<PioAddress> pio, PlatformResources resources, AcpiPmDevice pm, PciRootBus pci)
    {
        var slots = new List<DevicePowerSlot>();
        foreach ((int slot, IPciFunction function) in pci.Functions)
        {
            if (function is not IPowerManagedPciFunction managed)
            {
                continue;
            }
            PciSlotAml aml = pci.SlotAml(slot);
            ResourceAssignment ports = resources.Allocate(ResourceKind.Pio, SlotPowerDevice.WindowLength, $"{function.Id}: ACPI power and notify registers", alignment: 4);
            ResourceAssignment gpes = resources.Allocate(ResourceKind.Gpe, 2, $"{function.Id}: notify and wake GPEs");
            var device = new SlotPowerDevice(new PioAddress(checked((ushort)ports.Start)), (int)gpes.Start, (int)gpes.Start + 1, new AmlPath(aml.Path), pm.RaiseGpe);
            foreach (IAml child in device.SlotObjects())
            {
                aml.Add(child);
            }
            aml.AddSibling(device.EjectObject($"E{slot:X2}_", slot));
            pio.Insert(device.Port, SlotPowerDevice.WindowLength, device, $"{function.Id}: ACPI power and notify registers");
            slots.Add(new DevicePowerSlot(slot, managed, device));
        }
        return slots;
    }

    /// <summary>
    /// The PCI root bus at resources from <paramref name="resources"/>: the 32-bit BAR window
    /// first in the MMIO hole (512 MiB at 0xC0000000), the ECAM window after it, the 64-bit window
    /// above RAM, ports 0xCF8-0xCFF and 0x1000-0xFFFF for I/O BARs, and four GSIs for INTx; then
    /// the configured functions (<see cref="CreatePciRoot"/>).
    /// </summary>
    private static PciRootBus AddPciRoot(Bus<PioAddress> pio, Bus<MmioAddress> mmio, PlatformResources resources, ulong memoryBytes,
        IReadOnlyList<PciAttachment> functions, Action<string>? warn, Action<IPciFunction, PciBarDescriptor, MmioAddress?>? barPlaced)
    {
        ResourceAssignment window32 = resources.Allocate(ResourceKind.Mmio, MemoryLayout.PciMemory32Size, "PCI 32-bit BAR window", alignment: MemoryLayout.PciMemory32Size);
        ResourceAssignment ecam = resources.Allocate(ResourceKind.Mmio, PciRootBus.EcamSize, "PCI ECAM (bus 0)", alignment: PciRootBus.EcamSize);
        ResourceAssignment window64 = resources.Reserve(ResourceKind.Mmio, MemoryLayout.PciMemory64Start(memoryBytes).Value, MemoryLayout.PciMemory64Size, "PCI 64-bit BAR window");
        resources.Reserve(ResourceKind.Pio, PciRootBus.ConfigPorts.Value, PciRootBus.ConfigPortCount, "PCI config ports");
        const uint ioBarPorts = 0x1_0000 - 0x1000;
        resources.Reserve(ResourceKind.Pio, PciIoBarBase.Value, ioBarPorts, "PCI I/O BARs");
        ResourceAssignment intx = resources.Allocate(ResourceKind.Gsi, PciHostBridgeAml.IntxPins, "PCI INTA-INTD");
        var layout = new PciRootBusLayout(
            EcamBase: new MmioAddress(ecam.Start),
            Memory32Base: new MmioAddress(window32.Start),
            Memory32Size: window32.Length,
            Memory64Base: new MmioAddress(window64.Start),
            Memory64Size: window64.Length,
            IoBarBase: PciIoBarBase,
            IoBarSize: ioBarPorts,
            IntxGsis: [.. Enumerable.Range(0, PciHostBridgeAml.IntxPins).Select(i => (uint)intx.Start + (uint)i)]);
        return CreatePciRoot(layout, pio, mmio, functions, warn, barPlaced);
    }

    /// <summary>
    /// The PCI root bus at <paramref name="layout"/> on <paramref name="pio"/> (the port bus: its
    /// config ports and I/O BARs) and <paramref name="mmio"/>, with the configured functions
    /// attached in order. A function the guest ejected during an earlier boot
    /// (<see cref="IPowerManagedPciFunction.IsEjected"/>) is not attached again: its slot is kept
    /// empty, so a reboot does not bring the removed card back nor move the others.
    /// </summary>
    internal static PciRootBus CreatePciRoot(PciRootBusLayout layout, Bus<PioAddress> pio, Bus<MmioAddress> mmio,
        IReadOnlyList<PciAttachment> functions, Action<string>? warn, Action<IPciFunction, PciBarDescriptor, MmioAddress?>? barPlaced)
    {
        var root = new PciRootBus(layout, pio, mmio, warn);
        // Before any function is attached, so the first placements map their areas too.
        root.MemoryBarPlaced += barPlaced;
        foreach (PciAttachment attachment in functions)
        {
            try
            {
                if (attachment.Function is IPowerManagedPciFunction { IsEjected: true } ejected)
                {
                    int empty = root.KeepEmpty(attachment.Slot);
                    warn?.Invoke($"pci: {ejected.Id} ({ejected.Backend}) was ejected by the guest; slot {empty} stays empty");
                    continue;
                }
                root.Attach(attachment.Function, attachment.Slot);
            }
            catch (ArgumentException e)
            {
                throw new MachineBuildException($"cannot attach PCI function {attachment.Function.Id}: {e.Message}", e);
            }
        }
        return root;
    }

    private static IMachineBoundPciFunction[] BoundFunctions(IReadOnlyList<PciAttachment> functions) =>
        [.. functions.Select(a => a.Function).OfType<IMachineBoundPciFunction>()];

    /// <summary>Shared (memfd) RAM when a bound function's device must map guest memory itself,
    /// whatever was asked; otherwise what was asked.</summary>
    internal static GuestMemoryBacking MemoryBackingFor(IReadOnlyList<PciAttachment> functions, GuestMemoryBacking asked) =>
        BoundFunctions(functions).Any(f => f.NeedsSharedMemory) ? GuestMemoryBacking.Shared : asked;

    /// <summary>
    /// Binds every <see cref="IMachineBoundPciFunction"/> on <paramref name="pci"/> to the machine,
    /// in slot order, over one <see cref="DeviceInterrupts"/> made for them; null (and no
    /// interrupt thread) when there is none. A function that cannot bind fails the build with
    /// its name; the ones bound before it are unbound.
    /// </summary>
    private static BoundPciFunctions? BindPciFunctions(Machine machine, PciRootBus pci, PciBarMemorySlots barSlots, IReadOnlyList<DevicePowerSlot> devicePower, Action<string>? warn) =>
        BindPciFunctions(machine, pci, barSlots, devicePower, warn, () => KvmInterrupts.For(machine.Vm));

    /// <summary>As above, over the interrupts <paramref name="interrupts"/> makes for the
    /// machine's irqchip (the PC's IOAPIC, the arm64 machine's GICv3); it throws
    /// <see cref="KvmUnavailableException"/> when the host's KVM cannot route them.</summary>
    internal static BoundPciFunctions? BindPciFunctions(Machine machine, PciRootBus pci, PciBarMemorySlots barSlots, IReadOnlyList<DevicePowerSlot> devicePower,
        Action<string>? warn, Func<IKvmInterrupts> interrupts)
    {
        (int Slot, IMachineBoundPciFunction Function)[] functions = [.. pci.Functions
            .Where(f => f.Function is IMachineBoundPciFunction)
            .Select(f => (f.Slot, (IMachineBoundPciFunction)f.Function))];
        if (functions.Length == 0)
        {
            return null;
        }
        DeviceInterrupts deviceInterrupts;
        try
        {
            deviceInterrupts = new DeviceInterrupts(interrupts(), warn is null ? null : e => warn($"device interrupt handling failed: {e.Message}"));
        }
        catch (KvmUnavailableException e)
        {
            string names = string.Join(", ", functions.Select(f => $"{f.Function.Id} ({f.Function.Backend})"));
            string what = functions.Length == 1 ? $"PCI device {names}: this host's KVM cannot deliver its" : $"PCI devices {names}: this host's KVM cannot deliver their";
            throw new MachineBuildException($"cannot assign {what} interrupts: {e.Message}", e);
        }
        var bound = new BoundPciFunctions(deviceInterrupts, warn);
        try
        {
            KvmVm vm = machine.Vm;
            foreach ((int slot, IMachineBoundPciFunction function) in functions)
            {
                DevicePowerSlot? power = devicePower.FirstOrDefault(p => p.Slot == slot);
                power?.ReportTo(bound.ReportPower);
                power?.DetachWith(() => Eject(power, bound, pci, barSlots, warn));
                var host = new PciFunctionHost
                {
                    Interrupts = deviceInterrupts,
                    Memory = machine.Memory,
                    Slot = slot,
                    IntxGsi = pci.IntxGsi(slot, pin: 0),
                    AddIoEventFd = (address, size, datamatch, eventFd) => IoEventFdRegistration.Register(vm, address, size, datamatch, eventFd),
                    DeviceLost = bound.ReporterFor(function),
                    TrapMappedAreas = trapped => barSlots.SetTrapped(function, trapped),
                    // Only power-managed functions report power changes, and each has a slot.
                    PowerChanged = _ => power?.Woke(),
                    AcpiNotify = code => power?.Notify(code),
                    AcpiNotifyRoom = () => power is null || power.Device.CanTakeNotify,
                    AcpiNotifyLost = count => power?.NotifyLost(count),
                };
                try
                {
                    function.Bind(host);
                }
                catch (Sys.VireoException e)
                {
                    throw new MachineBuildException($"cannot bind PCI device {function.Id} ({function.Backend}) in slot {slot}: {e.Message}", e);
                }
                bound.Add(function);
            }
            return bound;
        }
        catch
        {
            bound.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The guest's <c>_EJ0</c> for <paramref name="power"/>'s slot, on the vCPU thread that ran
    /// it: the function leaves the root bus (config reads of the slot are all-ones, its BAR windows
    /// and memory slots go), then the machine (its mappings are unmapped) and is ejected for good
    /// (<see cref="IPowerManagedPciFunction.Eject"/>: unbound, its device closed). False, with a
    /// line to <paramref name="warn"/>, when the slot is empty already (ejected before) or the
    /// machine is going away.
    /// </summary>
    private static bool Eject(DevicePowerSlot power, BoundPciFunctions bound, PciRootBus pci, PciBarMemorySlots barSlots, Action<string>? warn)
    {
        IPowerManagedPciFunction function = power.Function;
        if (!bound.Remove(function))
        {
            warn?.Invoke($"pci: the guest ejected slot {power.Slot} ({function.Id}) again; it is empty already, ignored");
            return false;
        }
        pci.Detach(power.Slot);
        barSlots.Forget(function);
        function.Eject();
        return true;
    }

    private static Machine CreateMachine(KvmSystem kvm, MachineConfig config, Action<string>? warn)
    {
        try
        {
            return Machine.Create(kvm, config, warn);
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new MachineBuildException($"invalid machine configuration: {e.Message}", e);
        }
    }

    /// <summary>The ACPI PM block at its fixed base, its SCI and GPEs, and the LPS0 device at the
    /// first free port after it (0x630 on this layout).</summary>
    private static (AcpiPmDevice Pm, LowPowerIdleDevice Lps) AddPowerManagement(Machine machine, PlatformResources resources, IInterruptLine sci, List<IDisposable> owned)
    {
        ReservePowerManagement(resources);
        var pm = new AcpiPmDevice(sci);
        owned.Add(pm);
        pm.PowerOffRequested += () => machine.RequestExit(MachineExitReason.PowerOff, "the guest entered ACPI S5");
        machine.Pio.Insert(AcpiPlatform.DefaultPmBase, AcpiPmDevice.WindowLength, pm, "ACPI PM (PM1, PM timer, GPE0)");
        var lps = new LowPowerIdleDevice(AllocateLowPowerIdlePort(resources));
        machine.Pio.Insert(lps.Port, LowPowerIdleDevice.WindowLength, lps, "Low Power S0 Idle (LPS0 _DSM trap)");
        return (pm, lps);
    }

    private static void ReservePowerManagement(PlatformResources resources)
    {
        resources.Reserve(ResourceKind.Pio, AcpiPlatform.DefaultPmBase.Value, AcpiPmDevice.WindowLength, "ACPI PM block");
        resources.Reserve(ResourceKind.Gsi, AcpiPlatform.SciIrq, 1, "ACPI SCI");
        resources.Reserve(ResourceKind.Gpe, 0, HostGpes.Count, "host GPEs (vm.gpe)");
    }

    private static PioAddress AllocateLowPowerIdlePort(PlatformResources resources) =>
        new((ushort)resources.Allocate(ResourceKind.Pio, LowPowerIdleDevice.WindowLength, "Low Power S0 Idle device", alignment: 4).Start);

    private static IEnumerable<ISuspendable> AddLegacyDevices(Machine machine, PlatformResources resources, LinuxVmConfig config, Serial8250 console)
    {
        Bus<PioAddress> pio = machine.Pio;
        resources.Reserve(ResourceKind.Pio, Com1.Value, Serial8250.RegisterCount, "COM1");
        resources.Reserve(ResourceKind.Gsi, Com1Irq, 1, "COM1");
        pio.Insert(Com1, Serial8250.RegisterCount, console, "COM1 (8250)");
        // The transmit holding register (and the divisor latch behind it): a write there shows
        // the guest nothing until it next exits, which it always does to poll LSR or read IIR
        // before it writes again, so each console byte costs one exit instead of two.
        machine.CoalescePioWrites(Com1, 1);

        var i8042 = new I8042(new KvmIrqLine(machine.Vm, KeyboardIrq));
        resources.Reserve(ResourceKind.Pio, I8042Data.Value, 1, "i8042 data");
        resources.Reserve(ResourceKind.Pio, I8042Command.Value, 1, "i8042 command");
        resources.Reserve(ResourceKind.Gsi, KeyboardIrq, 1, "i8042 keyboard");
        i8042.ResetRequested += () => machine.RequestExit(MachineExitReason.Reset, "the guest reset the CPU through the i8042");
        pio.Insert(I8042Data, 1, i8042.DataPort, "i8042 data");
        pio.Insert(I8042Command, 1, i8042.CommandPort, "i8042 command");

        var rtc = new CmosRtc(() => DateTimeOffset.UtcNow);
        ulong low = Math.Min(config.MemoryBytes, MemoryLayout.MmioHoleStart.Value);
        rtc.SetMemorySizes(low, config.MemoryBytes - low);
        resources.Reserve(ResourceKind.Pio, Rtc.Value, CmosRtc.PortCount, "CMOS RTC");
        pio.Insert(Rtc, CmosRtc.PortCount, rtc, "CMOS RTC");
        // The index register is only ever followed by a data-port access, which exits (QEMU
        // coalesces the same port).
        machine.CoalescePioWrites(Rtc, 1);

        foreach ((PioAddress start, ushort length, byte readValue, string purpose) in QuietPortDevice.LinuxProbedPorts)
        {
            // With KVM's in-kernel irqchip the ELCR belongs to KVM; claiming it would be harmless but wrong.
            if (start.Value == 0x4d0)
            {
                continue;
            }
            resources.Reserve(ResourceKind.Pio, start.Value, length, purpose);
            pio.Insert(start, length, new QuietPortDevice(readValue), purpose);
        }
        return [console, i8042, rtc];
    }

    /// <summary>The mmap areas of every PCI function's BARs as KVM memory slots, owned with the
    /// machine's devices (disposed after the VM).</summary>
    internal static PciBarMemorySlots BarMemorySlots(Machine machine, List<IDisposable> owned, Action<string>? warn)
    {
        var slots = new PciBarMemorySlots(machine.Vm, machine.AllocateMemorySlot, warn);
        owned.Add(slots);
        return slots;
    }

    private static void LoadKernel(KvmSystem kvm, Machine machine, BzImage kernel, LinuxVmConfig config, PlacedAcpiTables acpi, PciRootBusLayout pci)
    {
        GuestMemory memory = machine.Memory;
        // Linux uses ECAM early only where the e820 map reserves it (arch/x86/pci/mmconfig-shared.c
        // pci_mmcfg_reserved: before ACPI's motherboard resources are parsed, the E820 check).
        IReadOnlyList<E820Entry> e820 = E820Map.For(memory,
            [new E820Entry { Address = pci.EcamBase.Value, Size = PciRootBus.EcamSize, Type = E820Type.Reserved }]);
        LinuxBootInfo boot = LinuxLoader.Load(memory, kernel, config.Cmdline, config.InitramfsPath, e820, acpi.RsdpAddress);
        // For kernels built with MP-table parsing and booted with acpi=off.
        MpTable.Write(memory, config.Cpus);
        LongModeSetup.WriteTables(memory, gibibytes: 4);

        KvmCpuidEntry2[] supported = kvm.GetSupportedCpuid();
        foreach (VcpuRunner runner in machine.Vcpus)
        {
            KvmVcpu vcpu = runner.Vcpu;
            vcpu.SetCpuid2(CpuidSetup.ForVcpu(supported, runner.Index, config.Cpus));
            VcpuBootState.Apply(vcpu, inKernelIrqchip: true);
        }

        // Only the boot processor is set up; the others wait in KVM for INIT/SIPI from it.
        // The 64-bit boot protocol: RSI holds boot_params; the kernel sets up its own stack.
        LongModeSetup.StartAt(machine.Vcpus[0].Vcpu, boot.EntryPoint, stack: 0, rsi: boot.BootParamsAddress.Value);
    }
}
