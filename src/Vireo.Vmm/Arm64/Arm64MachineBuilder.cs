using Vireo.Devices;
using Vireo.Kvm;
using Vireo.Loader;
using Vireo.Memory;
using Vireo.Pci;

namespace Vireo.Vmm.Arm64;

/// <summary>
/// Assembles the arm64 machine (<see cref="Arm64Platform"/>) as <see cref="MachineBuilder"/>
/// assembles the PC: the VM with its GICv3 and vCPUs, a 16550 console and a PL061 GPIO controller
/// with the power key on the MMIO bus, the PCI
/// root bus with the configured functions (virtio, vfio-user, VFIO: the same
/// <see cref="IPciFunction"/>s and the same binding as on the PC, with MSI and MSI-X through an
/// in-kernel ITS and INTx for a guest that leaves them off), the
/// kernel <c>Image</c>, the initramfs and a device tree that describes exactly that, and the boot
/// vCPU at the kernel's entry with x0 pointing at the device tree (Linux's arm64 booting.rst).
/// The result is a <see cref="BuiltMachine"/> the control loop runs as it runs a PC: pause,
/// resume, stop, the power button (the GPIO key, <see cref="GpioPowerKey"/>) and the guest's own
/// PSCI power-off and reset work; the guest's SDEI calls go to Vireo's dispatcher
/// (<see cref="SdeiFirmware"/>) where KVM can forward them; what the machine does not have (ACPI,
/// its GPEs and s2idle) is refused with a message saying so.
/// </summary>
public static class Arm64MachineBuilder
{
    // chosen/rng-seed: the guest's early entropy (the x86 guest gets RDRAND instead).
    private static byte[] RngSeed()
    {
        byte[] seed = new byte[32];
        Sys.HostRandom.Fill(seed);
        return seed;
    }

    /// <summary>Builds the machine for <paramref name="config"/>; a bad kernel or initramfs fails
    /// with <see cref="KernelImageException"/> before any VM exists.</summary>
    public static BuiltMachine BuildLinux(KvmSystem kvm, LinuxVmConfig config, Action<ReadOnlySpan<byte>> consoleOutput, Action<string>? warn = null)
    {
        ArgumentNullException.ThrowIfNull(kvm);
        ArgumentNullException.ThrowIfNull(config);
        Arm64Image kernel = Arm64Image.Load(config.KernelPath);
        long initrdSize = 0;
        if (config.InitramfsPath is not null)
        {
            initrdSize = File.Exists(config.InitramfsPath)
                ? new FileInfo(config.InitramfsPath).Length
                : throw new KernelImageException($"cannot read initramfs {config.InitramfsPath}: no such file");
        }
        // Where everything goes, before the VM exists: RAM too small for the kernel is the
        // user's error, named as such. The device tree's slot is its largest allowed size.
        Arm64BootLayout layout = kernel.Place(Arm64Platform.RamBase, config.MemoryBytes, (ulong)Arm64Image.MaxDeviceTreeSize, (ulong)initrdSize);

        return Assemble(kvm, config, consoleOutput, warn, (machine, _, its, _, sdei) =>
        {
            kernel.WriteTo(machine.Memory, layout);
            if (config.InitramfsPath is not null && layout.InitrdAddress is GuestAddress initrd)
            {
                machine.Memory.Write(initrd, File.ReadAllBytes(config.InitramfsPath));
            }
            byte[] deviceTree = Arm64DeviceTree.Build(new Arm64PlatformDescription
            {
                RamBase = Arm64Platform.RamBase,
                RamSize = config.MemoryBytes,
                // Linux matches each cpu node's reg with the MPIDR it reads on that CPU, so the
                // tree carries KVM's own values.
                CpuMpidrs = [.. machine.Vcpus.Select(r => r.Vcpu.GetOneReg(KvmArm64Registers.MpidrEl1) & 0xff_00ff_ffffUL)],
                GicDistributorBase = Arm64Platform.GicDistributor,
                GicDistributorSize = Arm64Platform.GicDistributorSize,
                GicRedistributorBase = Arm64Platform.GicRedistributors,
                GicRedistributorSize = Arm64Platform.GicRedistributorSize(config.Cpus),
                GicItsBase = its is null ? null : Arm64Platform.GicIts,
                UartBase = Arm64Platform.Uart,
                UartSize = Arm64Platform.UartSize,
                UartSpi = Arm64Platform.UartSpi,
                UartClockHz = Arm64Platform.UartClockHz,
                Bootargs = config.Cmdline,
                InitrdStart = config.InitramfsPath is null ? null : layout.InitrdAddress,
                InitrdEnd = config.InitramfsPath is null || layout.InitrdAddress is not GuestAddress start ? null : new GuestAddress(start.Value + (ulong)initrdSize),
                RngSeed = RngSeed(),
                Sdei = sdei is not null,
                Pci = Arm64Platform.PciHostBridge,
                Gpio = Arm64Platform.GpioDescription,
            });
            machine.Memory.Write(layout.DeviceTreeAddress, deviceTree);

            // booting.rst: x0 = the device tree's physical address, x1-x3 = 0 (KVM's vCPU reset
            // leaves them 0), MMU off, D-cache off, in EL1h with DAIF masked (KVM's reset PSTATE).
            KvmVcpu boot = machine.Vcpus[0].Vcpu;
            boot.SetOneReg(KvmArm64Registers.X(0), layout.DeviceTreeAddress.Value);
            boot.SetOneReg(KvmArm64Registers.Pc, layout.Entry.Value);
        });
    }

    /// <summary>Builds the machine of the snapshot in <paramref name="directory"/> (its
    /// <paramref name="document"/> read by <see cref="SnapshotStore.Load"/>) and puts the
    /// snapshot's state into it (<see cref="Arm64Snapshot.Restore"/>); its vCPUs continue where the
    /// snapshot's stopped when the machine starts. <paramref name="config"/> is the snapshot's
    /// machine (what a later reboot boots).</summary>
    public static BuiltMachine Restore(KvmSystem kvm, LinuxVmConfig config, string directory, SnapshotDocument document,
        Action<ReadOnlySpan<byte>> consoleOutput, Action<string>? warn = null)
    {
        ArgumentNullException.ThrowIfNull(kvm);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(document);
        return Assemble(kvm, config, consoleOutput, warn, (machine, gic, its, devices, sdei) =>
            Arm64Snapshot.Restore(directory, document, machine, gic, its, devices.Pci, config.PciFunctions, devices.Console, devices.Gpio, devices.PowerKey, sdei));
    }

    /// <summary>The machine with its devices (GIC, with an ITS when there are PCI functions to send
    /// MSIs; UART; GPIO controller and power key; SDEI firmware; the PCI root bus and its functions), then <paramref name="load"/>
    /// fills it: a kernel to boot, or a snapshot to continue.</summary>
    private static BuiltMachine Assemble(KvmSystem kvm, LinuxVmConfig config, Action<ReadOnlySpan<byte>> consoleOutput, Action<string>? warn,
        Action<Machine, KvmDevice, KvmDevice?, PlatformDevices, SdeiFirmware?> load)
    {
        if (config.MemoryBytes > Arm64Platform.MaxMemoryBytes)
        {
            throw new MachineBuildException($"the arm64 machine has at most {Arm64Platform.MaxMemoryBytes >> 30} GiB of RAM (below its 64-bit PCI window); ask for less --memory");
        }
        (Machine machine, KvmDevice gic) = Machine.CreateArm64(kvm, new MachineConfig
        {
            MemoryBytes = config.MemoryBytes,
            Cpus = config.Cpus,
            MemoryBacking = MachineBuilder.MemoryBackingFor(config.PciFunctions, config.MemoryBacking),
            InKernelIrqchip = true,
        }, warn);
        var owned = new List<IDisposable> { gic };
        BoundPciFunctions? bound = null;
        try
        {
            PlatformResources resources = Arm64Platform.Resources(config.Cpus);
            // The ITS only where something can send it an MSI: a machine without PCI functions
            // keeps a GIC whose whole state the snapshot's register lists carry.
            KvmDevice? its = config.PciFunctions.Count > 0 ? Machine.CreateArm64Its(machine.Vm, warn) : null;
            if (its is not null)
            {
                owned.Add(its);
            }
            // SDEI: KVM forwards the guest's SDEI calls to Vireo's dispatcher (before any vCPU
            // runs, as KVM requires); without the SMCCC filter the tree has no SDEI node.
            // The UART's line is the one Vireo interrupt a guest may bind to an SDEI event.
            var uartLine = new SdeiBindableLine(new KvmIrqLine(machine.Vm, KvmArmIrqLine.Spi(Arm64Platform.UartIntid)), Arm64Platform.UartIntid);
            SdeiFirmware? sdei = null;
            if (SdeiFirmware.Forward(machine.Vm))
            {
                sdei = new SdeiFirmware(machine.Vcpus, Arm64Platform.SdeiEvents, new SdeiInterruptBinder([uartLine]));
                foreach (VcpuRunner vcpu in machine.Vcpus)
                {
                    vcpu.Hypercalls = sdei;
                }
            }
            else
            {
                warn?.Invoke("this host's KVM cannot forward SMCCC calls (KVM_ARM_VM_SMCCC_FILTER, Linux 6.4): the guest gets no SDEI");
            }
            var panic = new PanicDetector();
            Action<ReadOnlySpan<byte>> output = bytes =>
            {
                panic.Observe(bytes);
                consoleOutput(bytes);
            };
            var console = new Serial8250(uartLine, output);
            machine.Mmio.Insert(Arm64Platform.Uart, Arm64Platform.UartSize, console, "UART (16550)");
            IConsoleInput input = MachineBuilder.ConnectConsole(config, console, output, owned);

            // The power button: a PL061 whose pin drives gpio-keys' KEY_POWER, as on QEMU's virt.
            var gpio = new Pl061Gpio(new KvmIrqLine(machine.Vm, KvmArmIrqLine.Spi(Arm64Platform.GpioIntid)));
            machine.Mmio.Insert(Arm64Platform.Gpio, Arm64Platform.GpioSize, gpio, "GPIO (PL061)");
            var powerKey = new GpioPowerKey(gpio, Arm64Platform.PowerKeyPin);
            owned.Add(powerKey);

            // PCI: the root bus's port bus is the machine's PCI I/O space, which the guest reaches
            // through a memory window (arm64 has no port I/O instructions).
            machine.Mmio.Insert(Arm64Platform.PciIo, Arm64Platform.PciIoSize, new PciIoSpaceWindow(machine.Pio), "PCI I/O space");
            PciBarMemorySlots barSlots = MachineBuilder.BarMemorySlots(machine, owned, warn);
            PciRootBus pci = MachineBuilder.CreatePciRoot(Arm64Platform.PciLayout, machine.Pio, machine.Mmio, config.PciFunctions, warn, barSlots.OnMemoryBarPlaced);
            bound = MachineBuilder.BindPciFunctions(machine, pci, barSlots, devicePower: [], warn,
                () => KvmInterrupts.ForGicv3(machine.Vm, Arm64Platform.Spis));

            load(machine, gic, its, new PlatformDevices(console, gpio, powerKey, pci), sdei);
            return new BuiltMachine(machine, resources, powerManagement: null, lowPowerIdle: null, pci,
                [console, gpio, powerKey, (ISuspendable)input], owned, console, input, panic, bound, sdei: sdei,
                snapshotter: new Arm64Snapshot(machine, gic, its, pci, console, gpio, sdei, config), powerButton: powerKey);
        }
        catch
        {
            bound?.Dispose();
            machine.Dispose();
            owned.ForEach(o => o.Dispose());
            throw;
        }
    }

    /// <summary>The machine's own devices that a boot or a restore loads.</summary>
    private sealed record PlatformDevices(Serial8250 Console, Pl061Gpio Gpio, GpioPowerKey PowerKey, PciRootBus Pci);
}
