using Vireo.Devices;
using Vireo.Kvm;
using Vireo.Loader;
using Vireo.Memory;
using Vireo.Vmm.X86;

namespace Vireo.Vmm;

/// <summary>
/// A PC-like machine that boots a Linux bzImage through the 64-bit boot protocol: in-kernel
/// PIC/IOAPIC/LAPIC and PIT, an 8250 console on COM1, the i8042 for reset, the CMOS RTC, and an
/// MP table for SMP. Everything the guest touches is put on the machine's buses here.
/// </summary>
public sealed partial class LinuxVm : IDisposable
{
    public static readonly PioAddress Com1 = new(0x3f8);
    public const uint Com1Irq = 4;

    public static readonly PioAddress I8042Data = new(0x60);
    public static readonly PioAddress I8042Command = new(0x64);
    public const uint KeyboardIrq = 1;
    public static readonly PioAddress Rtc = new(0x70);

    private readonly Machine _machine;
    private readonly PanicDetector _panic = new();
    private readonly ConsoleInputPump _input;
    private readonly AcpiPmDevice _pm;

    private LinuxVm(Machine machine, Action<ReadOnlySpan<byte>> consoleOutput)
    {
        _machine = machine;
        Console = new Serial8250(new KvmIrqLine(machine.Vm, Com1Irq), bytes =>
        {
            _panic.Observe(bytes);
            consoleOutput(bytes);
        });
        _input = new ConsoleInputPump(Console);
        _pm = new AcpiPmDevice(new KvmIrqLine(machine.Vm, AcpiPlatform.SciIrq));
    }

    public Machine Machine => _machine;

    /// <summary>COM1, the guest console.</summary>
    public Serial8250 Console { get; }

    public string? PanicLine => _panic.PanicLine;

    /// <summary>The ACPI PM block: power button, GPEs, S5.</summary>
    public AcpiPmDevice PowerManagement => _pm;

    /// <summary>Checks the kernel and initramfs, then builds the VM. A bad kernel file fails here,
    /// before any VM exists.</summary>
    public static LinuxVm Create(KvmSystem kvm, LinuxVmConfig config, Action<ReadOnlySpan<byte>> consoleOutput, Action<string>? warn = null)
    {
        BzImage kernel = BzImage.Load(config.KernelPath);
        byte[] initramfs = config.InitramfsPath is null ? [] : ReadInitramfs(config.InitramfsPath);

        Machine machine = Machine.Create(kvm, new MachineConfig { MemoryBytes = config.MemoryBytes, Cpus = config.Cpus, MemoryBacking = config.MemoryBacking, InKernelIrqchip = true }, warn);
        try
        {
            var vm = new LinuxVm(machine, consoleOutput);
            vm.AddLegacyDevices(config);
            vm.AddPowerManagementDevices();
            vm.LoadKernel(kvm, kernel, config, initramfs);
            return vm;
        }
        catch
        {
            machine.Dispose();
            throw;
        }
    }

    /// <summary>The ACPI tables a VM with <paramref name="config"/> gets, without building one
    /// (`vireo acpi dump`).</summary>
    public static AcpiPlatform AcpiTablesFor(LinuxVmConfig config)
    {
        using var pm = new AcpiPmDevice(new NoInterruptLine());
        return new AcpiPlatform(config.Cpus, DeviceAml(pm));
    }

    /// <summary>What the DSDT is made of: each device in ACPI describes itself.</summary>
    private static IEnumerable<Vireo.Acpi.IAml> DeviceAml(AcpiPmDevice pm) => [pm, .. HostGpes.Aml(), .. PowerManagementAml()];

    /// <summary>Runs until the guest reboots, powers off, fails, or <paramref name="cancel"/> fires.</summary>
    public MachineExit Run(CancellationToken cancel = default)
    {
        using CancellationTokenRegistration stop = cancel.Register(() => _machine.RequestExit(MachineExitReason.Stopped, "stopped by the host"));
        _machine.Start();
        return _machine.WaitForExit(Timeout.InfiniteTimeSpan)!;
    }

    /// <summary>Host keystrokes for the guest console, delivered as the guest reads them.</summary>
    public void SendConsoleInput(ReadOnlySpan<byte> bytes)
    {
        _input.Send(bytes);
        WakeOnConsoleInput();
    }

    public void Dispose()
    {
        DisposePowerManagement();
        _machine.Dispose();
        _input.Dispose();
        _pm.Dispose();
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

    private void AddLegacyDevices(LinuxVmConfig config)
    {
        Bus<PioAddress> pio = _machine.Pio;
        pio.Insert(Com1, Serial8250.RegisterCount, Console, "COM1 (8250)");
        // The transmit holding register (and the divisor latch behind it): a write there shows
        // the guest nothing until it next exits, which it always does to poll LSR or read IIR
        // before it writes again, so each console byte costs one exit instead of two.
        _machine.CoalescePioWrites(Com1, 1);

        var i8042 = new I8042(new KvmIrqLine(_machine.Vm, KeyboardIrq));
        i8042.ResetRequested += () => _machine.RequestExit(MachineExitReason.Reset, "the guest reset the CPU through the i8042");
        pio.Insert(I8042Data, 1, i8042.DataPort, "i8042 data");
        pio.Insert(I8042Command, 1, i8042.CommandPort, "i8042 command");

        var rtc = new CmosRtc(() => DateTimeOffset.UtcNow);
        ulong low = Math.Min(config.MemoryBytes, MemoryLayout.MmioHoleStart.Value);
        rtc.SetMemorySizes(low, config.MemoryBytes - low);
        pio.Insert(Rtc, CmosRtc.PortCount, rtc, "CMOS RTC");
        // The index register is only ever followed by a data-port access, which exits (QEMU
        // coalesces the same port).
        _machine.CoalescePioWrites(Rtc, 1);

        _pm.PowerOffRequested += () => _machine.RequestExit(MachineExitReason.PowerOff, "the guest entered ACPI S5");
        pio.Insert(AcpiPlatform.DefaultPmBase, AcpiPmDevice.WindowLength, _pm, "ACPI PM (PM1, PM timer, GPE0)");

        foreach ((PioAddress start, ushort length, byte readValue, string purpose) in QuietPortDevice.LinuxProbedPorts)
        {
            // With KVM's in-kernel irqchip the ELCR belongs to KVM; claiming it would be harmless but wrong.
            if (start.Value == 0x4d0)
            {
                continue;
            }
            pio.Insert(start, length, new QuietPortDevice(readValue), purpose);
        }
    }

    private void LoadKernel(KvmSystem kvm, BzImage kernel, LinuxVmConfig config, byte[] initramfs)
    {
        GuestMemory memory = _machine.Memory;
        // The DSDT is what the devices describe of themselves.
        PlacedAcpiTables acpi = new AcpiPlatform(config.Cpus, DeviceAml(_pm)).WriteTo(memory);
        LinuxBootInfo boot = LinuxLoader.Load(memory, kernel, config.Cmdline, initramfs, E820Map.For(memory), acpi.RsdpAddress);
        // For kernels built with MP-table parsing and booted with acpi=off.
        MpTable.Write(memory, config.Cpus);
        LongModeSetup.WriteTables(memory, gibibytes: 4);

        KvmCpuidEntry2[] supported = kvm.GetSupportedCpuid();
        foreach (VcpuRunner runner in _machine.Vcpus)
        {
            KvmVcpu vcpu = runner.Vcpu;
            vcpu.SetCpuid2(CpuidSetup.ForVcpu(supported, runner.Index, config.Cpus));
            VcpuBootState.Apply(vcpu, inKernelIrqchip: true);
        }

        // Only the boot processor is set up; the others wait in KVM for INIT/SIPI from it.
        // The 64-bit boot protocol: RSI holds boot_params; the kernel sets up its own stack.
        LongModeSetup.StartAt(_machine.Vcpus[0].Vcpu, boot.EntryPoint, stack: 0, rsi: boot.BootParamsAddress.Value);
    }
}
