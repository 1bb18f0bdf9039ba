using Vireo.Acpi;
using Vireo.Devices;
using Vireo.Kvm;
using Vireo.Loader;
using Vireo.Memory;
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

    /// <summary>
    /// A PC that boots a Linux bzImage through the 64-bit boot protocol: in-kernel
    /// PIC/IOAPIC/LAPIC and PIT, an 8250 console on COM1, the i8042 for reset, the CMOS RTC, the
    /// ACPI PM block and LPS0 device, and an MP table for SMP. A bad kernel or initramfs fails
    /// with <see cref="KernelImageException"/> before any VM exists.
    /// </summary>
    public static BuiltMachine BuildLinux(KvmSystem kvm, LinuxVmConfig config, Action<ReadOnlySpan<byte>> consoleOutput, Action<string>? warn = null)
    {
        ArgumentNullException.ThrowIfNull(kvm);
        ArgumentNullException.ThrowIfNull(config);
        BzImage kernel = BzImage.Load(config.KernelPath);
        byte[] initramfs = config.InitramfsPath is null ? [] : ReadInitramfs(config.InitramfsPath);

        Machine machine = CreateMachine(kvm, new MachineConfig { MemoryBytes = config.MemoryBytes, Cpus = config.Cpus, MemoryBacking = config.MemoryBacking, InKernelIrqchip = true }, warn);
        var owned = new List<IDisposable>();
        try
        {
            PlatformResources resources = PlatformResources.ForPc(AcpiPmDevice.GpeCount);
            var panic = new PanicDetector();
            var console = new Serial8250(new KvmIrqLine(machine.Vm, Com1Irq), bytes =>
            {
                panic.Observe(bytes);
                consoleOutput(bytes);
            });
            var input = new ConsoleInputPump(console);
            owned.Add(input);
            (AcpiPmDevice pm, LowPowerIdleDevice lps) = AddPowerManagement(machine, resources, new KvmIrqLine(machine.Vm, AcpiPlatform.SciIrq), owned);
            List<ISuspendable> suspendables = [.. AddLegacyDevices(machine, resources, config, console), pm, input];

            // The DSDT is what the devices describe of themselves.
            PlacedAcpiTables acpi = new AcpiPlatform(config.Cpus, DeviceAml(pm, lps)).WriteTo(machine.Memory);
            LoadKernel(kvm, machine, kernel, config, initramfs, acpi);
            return new BuiltMachine(machine, resources, pm, lps, suspendables, owned, console, input, panic);
        }
        catch
        {
            machine.Dispose();
            owned.ForEach(o => o.Dispose());
            throw;
        }
    }

    /// <summary>
    /// A machine with no guest loaded and no irqchip — for benchmarks and tests that write their
    /// own guest code — with the same power-management devices at the same ports as
    /// <see cref="BuildLinux"/>, so the control loop drives it exactly as a Linux guest's.
    /// </summary>
    public static BuiltMachine BuildBare(KvmSystem kvm, MachineConfig config, Action<string>? warn = null)
    {
        ArgumentNullException.ThrowIfNull(kvm);
        Machine machine = CreateMachine(kvm, config, warn);
        var owned = new List<IDisposable>();
        try
        {
            PlatformResources resources = PlatformResources.ForPc(AcpiPmDevice.GpeCount);
            IInterruptLine sci = config.InKernelIrqchip ? new KvmIrqLine(machine.Vm, AcpiPlatform.SciIrq) : new NoInterruptLine();
            (AcpiPmDevice pm, LowPowerIdleDevice lps) = AddPowerManagement(machine, resources, sci, owned);
            return new BuiltMachine(machine, resources, pm, lps, [pm], owned);
        }
        catch
        {
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
            return new AcpiPlatform(config.Cpus, DeviceAml(pm, lps));
        }
        finally
        {
            owned.ForEach(o => o.Dispose());
        }
    }

    /// <summary>What the DSDT is made of: each device in ACPI describes itself.</summary>
    private static IEnumerable<IAml> DeviceAml(AcpiPmDevice pm, LowPowerIdleDevice lps) => [pm, .. HostGpes.Aml(), lps];

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

    private static void LoadKernel(KvmSystem kvm, Machine machine, BzImage kernel, LinuxVmConfig config, byte[] initramfs, PlacedAcpiTables acpi)
    {
        GuestMemory memory = machine.Memory;
        LinuxBootInfo boot = LinuxLoader.Load(memory, kernel, config.Cmdline, initramfs, E820Map.For(memory), acpi.RsdpAddress);
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

    private static byte[] ReadInitramfs(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KernelImageException($"cannot read initramfs {path}: {e.Message}");
        }
    }
}
