using Vireo.Acpi;
using Vireo.Memory;

namespace Vireo.Devices.Fuzz;

/// <summary>
/// A machine's worth of guest-facing device models on a port bus and an MMIO bus, wired as
/// Vireo.Vmm's MachineBuilder wires them for a Linux guest (the same ports, windows and order):
/// COM1, the i8042, the CMOS RTC and the quiet ports; the ACPI PM block, the LPS0 _DSM trap and,
/// for a power-managed function, its slot power registers; the PCI root bus with its config
/// ports, ECAM window, host bridge and one or two <see cref="FuzzPciFunction"/>s. What lies
/// outside Vireo.Devices and Vireo.Pci is a recorder: the interrupt lines, the MSI-X owner, the
/// console, the VMM's reactions to reset, power-off, LPS0 and eject, and a manual clock. The arm64
/// machine's PL061 GPIO controller and its power key (Arm64MachineBuilder) share the MMIO bus,
/// below the PCI windows, so the guest-facing model of that machine is fuzzed with the rest.
/// </summary>
public sealed class BusMachine : IDisposable
{
    /// <summary>COM1's base port (MachineBuilder.Com1).</summary>
    public static readonly PioAddress Com1 = new(0x3f8);
    /// <summary>The i8042's data port.</summary>
    public static readonly PioAddress I8042Data = new(0x60);
    /// <summary>The i8042's command/status port.</summary>
    public static readonly PioAddress I8042Command = new(0x64);
    /// <summary>The CMOS RTC's index port; data follows.</summary>
    public static readonly PioAddress RtcPort = new(0x70);
    /// <summary>The ACPI PM block's base (AcpiPlatform.DefaultPmBase).</summary>
    public static readonly PioAddress PmBase = new(0x600);
    /// <summary>The LPS0 device's port: the first free one after the PM block on the PC layout.</summary>
    public static readonly PioAddress LowPowerIdlePort = new(0x630);
    /// <summary>The slot power registers of the power-managed function: the next 4 free ports.</summary>
    public static readonly PioAddress SlotPowerPort = new(0x634);
    /// <summary>The slot power device's notify and wake GPEs: the first two after the host's 16.</summary>
    public const int NotifyGpe = 16, WakeGpe = 17;

    /// <summary>The PL061's registers: where the arm64 machine has them (Arm64Platform.Gpio, QEMU
    /// virt's address), far below the PCI windows, so nothing else on this bus overlaps them.</summary>
    public static readonly MmioAddress GpioBase = new(0x0903_0000);
    /// <summary>The PL061 pin the power key drives (Arm64Platform.PowerKeyPin).</summary>
    public const int PowerKeyPin = 3;

    /// <summary>The PCI root bus's windows as MachineBuilder.AddPciRoot lays them out for 1 GiB of RAM.</summary>
    public static readonly PciRootBusLayout Layout = new(
        EcamBase: new MmioAddress(0xe000_0000),
        Memory32Base: new MmioAddress(0xc000_0000),
        Memory32Size: 512UL << 20,
        Memory64Base: new MmioAddress(0x1_0000_0000),
        Memory64Size: 32UL << 30,
        IoBarBase: new PioAddress(0x1000),
        IoBarSize: 0x1_0000 - 0x1000,
        IntxGsis: [16, 17, 18, 19]);

    private readonly List<IDisposable> _owned = [];

    /// <summary>Builds the machine <paramref name="shape"/> describes.</summary>
    public BusMachine(BusShape shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        Shape = shape;
        Pio = new Bus<PioAddress>("pio", Warn);
        Mmio = new Bus<MmioAddress>("mmio", Warn);

        // AddPowerManagement: the PM block, then LPS0.
        Pm = new AcpiPmDevice(Sci, Clock);
        _owned.Add(Pm);
        Pm.PowerOffRequested += () => PowerOffs++;
        Pm.SleepRequested += _ => SleepRequests++;
        Pio.Insert(PmBase, AcpiPmDevice.WindowLength, Pm, "ACPI PM (PM1, PM timer, GPE0)");
        LowPowerIdle = new LowPowerIdleDevice(LowPowerIdlePort);
        LowPowerIdle.Notified += _ => LowPowerIdleEvents++;
        Pio.Insert(LowPowerIdle.Port, LowPowerIdleDevice.WindowLength, LowPowerIdle, "Low Power S0 Idle (LPS0 _DSM trap)");

        // AddPciRoot, then the functions in order.
        Pci = new PciRootBus(Layout, Pio, Mmio, Warn);
        Pci.MemoryBarPlaced += (function, bar, address) => Placed[(function.Id, bar.Index)] = address;
        Function = new FuzzPciFunction("fuzz0", shape.MsixVectors, shape.ConfigSize);
        Slot = Pci.Attach(Function, shape.Slot);
        if (shape.SecondFunction)
        {
            Second = new FuzzPciFunction("fuzz1", Math.Max(1, FuzzPciFunction.MaxVectors - shape.MsixVectors), shape.ConfigSize);
            SecondSlot = Pci.Attach(Second);
        }

        // AddDevicePower: a power-managed function gets its slot registers; its _EJ0 detaches
        // the function from the root bus (MachineBuilder.Eject), once.
        if (shape.PowerManaged)
        {
            SlotPower = new SlotPowerDevice(SlotPowerPort, NotifyGpe, WakeGpe, new AmlPath($"\\_SB.PCI0.S{Slot:X2}_"), Pm.RaiseGpe);
            SlotPower.CommandWritten += OnSlotCommand;
            Pio.Insert(SlotPower.Port, SlotPowerDevice.WindowLength, SlotPower, "fuzz0: ACPI power and notify registers");
        }

        // AddLegacyDevices.
        Serial = new Serial8250(Com1Line, bytes => SerialOutput += bytes.Length, shape.SerialRxCapacity);
        Pio.Insert(Com1, Serial8250.RegisterCount, Serial, "COM1 (8250)");
        I8042 = new I8042(KeyboardLine);
        I8042.ResetRequested += () => Resets++;
        Pio.Insert(I8042Data, 1, I8042.DataPort, "i8042 data");
        Pio.Insert(I8042Command, 1, I8042.CommandPort, "i8042 command");
        Rtc = new CmosRtc(Clock.GetUtcNow);
        Rtc.SetMemorySizes(1UL << 30, 0);
        Pio.Insert(RtcPort, CmosRtc.PortCount, Rtc, "CMOS RTC");
        foreach ((PioAddress start, ushort length, byte readValue, string purpose) in QuietPortDevice.LinuxProbedPorts)
        {
            // With KVM's in-kernel irqchip the ELCR belongs to KVM (MachineBuilder skips it too).
            if (start.Value == 0x4d0)
            {
                continue;
            }
            Pio.Insert(start, length, new QuietPortDevice(readValue), purpose);
        }

        // Arm64MachineBuilder's power button: a PL061 whose pin 3 a gpio-keys power key pulses,
        // released by this machine's clock.
        Gpio = new Pl061Gpio(GpioLine);
        Mmio.Insert(GpioBase, Pl061Gpio.WindowSize, Gpio, "GPIO (PL061)");
        PowerKey = new GpioPowerKey(Gpio, PowerKeyPin, Clock);
        _owned.Add(PowerKey);
        Suspendables = [Serial, I8042, Rtc, Pm, .. SlotPower is null ? Array.Empty<ISuspendable>() : [SlotPower], Gpio, PowerKey];
    }

    /// <summary>What the input's header chose.</summary>
    public BusShape Shape { get; }

    /// <summary>The port bus.</summary>
    public Bus<PioAddress> Pio { get; }

    /// <summary>The MMIO bus.</summary>
    public Bus<MmioAddress> Mmio { get; }

    /// <summary>The clock the PM timer, its alarm, the RTC and the power key's release read.</summary>
    public ManualTimeProvider Clock { get; } = new();

    /// <summary>COM1's IRQ 4.</summary>
    public RecordingInterruptLine Com1Line { get; } = new("COM1 IRQ 4");

    /// <summary>The keyboard's IRQ 1.</summary>
    public RecordingInterruptLine KeyboardLine { get; } = new("i8042 IRQ 1");

    /// <summary>The SCI, IRQ 9.</summary>
    public RecordingInterruptLine Sci { get; } = new("SCI IRQ 9");

    /// <summary>The PL061's combined interrupt (GPIOINTR; an SPI on the arm64 machine).</summary>
    public RecordingInterruptLine GpioLine { get; } = new("GPIO (PL061) GPIOINTR");

    /// <summary>COM1.</summary>
    public Serial8250 Serial { get; }

    /// <summary>The PL061 GPIO controller.</summary>
    public Pl061Gpio Gpio { get; }

    /// <summary>The power key on its pin <see cref="PowerKeyPin"/>, timed by <see cref="Clock"/>.</summary>
    public GpioPowerKey PowerKey { get; }

    /// <summary>The keyboard controller.</summary>
    public I8042 I8042 { get; }

    /// <summary>The CMOS RTC.</summary>
    public CmosRtc Rtc { get; }

    /// <summary>The ACPI PM block.</summary>
    public AcpiPmDevice Pm { get; }

    /// <summary>The LPS0 _DSM trap.</summary>
    public LowPowerIdleDevice LowPowerIdle { get; }

    /// <summary>The power-managed function's slot registers; null when the shape has none.</summary>
    public SlotPowerDevice? SlotPower { get; }

    /// <summary>The PCI root bus.</summary>
    public PciRootBus Pci { get; }

    /// <summary>The first function.</summary>
    public FuzzPciFunction Function { get; }

    /// <summary>Its slot.</summary>
    public int Slot { get; }

    /// <summary>The second function; null when the shape has one only.</summary>
    public FuzzPciFunction? Second { get; }

    /// <summary>Its slot (0 when there is none).</summary>
    public int SecondSlot { get; }

    /// <summary>The devices with power hooks, as the machine suspends them.</summary>
    public IReadOnlyList<ISuspendable> Suspendables { get; }

    /// <summary>Where each memory BAR decodes as the root bus's <see cref="PciRootBus.MemoryBarPlaced"/> event last said, by function and BAR index.</summary>
    public Dictionary<(string Function, int Bar), MmioAddress?> Placed { get; } = [];

    /// <summary>Bytes the guest sent out of COM1.</summary>
    public int SerialOutput { get; private set; }

    /// <summary>Resets the guest asked the i8042 for.</summary>
    public int Resets { get; private set; }

    /// <summary>S5 requests through PM1_CNT.</summary>
    public int PowerOffs { get; private set; }

    /// <summary>Other sleep types written with SLP_EN.</summary>
    public int SleepRequests { get; private set; }

    /// <summary>LPS0 codes the guest wrote that decoded.</summary>
    public int LowPowerIdleEvents { get; private set; }

    /// <summary>Slot power commands the guest wrote.</summary>
    public int SlotCommands { get; private set; }

    /// <summary>Whether the guest's _EJ0 took the function off the bus.</summary>
    public bool Ejected { get; private set; }

    /// <summary>Lines the buses and the root bus reported (unowned addresses, refused placements).</summary>
    public int Warnings { get; private set; }

    /// <inheritdoc/>
    public void Dispose() => _owned.ForEach(o => o.Dispose());

    private void Warn(string line) => Warnings++;

    private void OnSlotCommand(SlotPowerCommand command)
    {
        SlotCommands++;
        if (command == SlotPowerCommand.Eject && !Ejected)
        {
            Ejected = true;
            Pci.Detach(Slot);
        }
    }
}
