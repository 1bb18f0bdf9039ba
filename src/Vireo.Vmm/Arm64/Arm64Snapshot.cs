using Vireo.Devices;
using Vireo.Kvm;
using Vireo.Pci;
using Vireo.Sdei;

namespace Vireo.Vmm.Arm64;

/// <summary>
/// Snapshot and restore of the arm64 machine (issue 16; the seed's principle that state which is
/// not architected travels as registers in the register list). A snapshot of a paused machine is
/// its RAM plus register lists: every vCPU's registers by their KVM_GET_REG_LIST ids (core,
/// FP/SIMD, system registers, the architected timer's CTL/CNT/CVAL and KVM's firmware
/// registers) with its MP state, the in-kernel GICv3's registers through its device attributes
/// (<see cref="KvmVgicV3State"/>), the UART's and the PL061 GPIO controller's model state, and the SDEI dispatcher's firmware
/// pseudo-registers (<see cref="SdeiStateRegisters"/>). <see cref="Restore"/> puts them into a
/// freshly built machine of the same shape, in a new process, before any vCPU runs.
/// </summary>
/// <remarks>
/// Restore order, and why: RAM; each vCPU's registers and MP state (KVM accepts the ID and firmware
/// registers only before the vCPU first runs; writing the timer's CNT sets the VM's counter
/// offset, so the guest's virtual time continues from the snapshot's); the GIC (its
/// redistributors are addressed by the MPIDRs just restored); the UART and the GPIO controller,
/// which re-drive their interrupt lines to their restored levels while the lines are still the
/// GIC's, and then the power key lets its pin go (a snapshot taken with the key down would
/// otherwise leave it down for good: the guest sees the release as the key's); last the SDEI
/// dispatcher, whose import binds the guest's bound interrupts again (holding their GIC lines low,
/// as at the snapshot) and asks for the delivery of any event that was pending.
/// </remarks>
internal sealed class Arm64Snapshot(Machine machine, KvmDevice gic, KvmDevice? its, PciRootBus pci, Serial8250 console, Pl061Gpio gpio,
    SdeiFirmware? sdei, LinuxVmConfig config) : IMachineSnapshotter
{
    /// <inheritdoc />
    public IDisposable Quiesce() => PciSnapshot.Quiesce(config.PciFunctions);

    /// <inheritdoc />
    public SnapshotDocument Capture()
    {
        // The PCI functions first: one that cannot be snapshotted is refused before KVM is asked anything.
        IReadOnlyList<SnapshotPciFunction> functions = PciSnapshot.Capture(pci, config.PciFunctions);
        // The ITS writes its tables and the LPIs' pending bits into guest RAM, which is saved after this.
        IReadOnlyList<KvmVgicV3Register>? itsRegisters = its is null ? null : KvmVgicItsState.Save(gic, its);
        var vcpus = new List<SnapshotVcpu>();
        foreach (VcpuRunner runner in machine.Vcpus)
        {
            KvmVcpu vcpu = runner.Vcpu;
            var registers = new List<SnapshotRegister>();
            foreach (ulong id in vcpu.GetRegisterList())
            {
                byte[] value = new byte[KvmArm64Registers.SizeOf(id)];
                vcpu.GetOneReg(id, value);
                registers.Add(new SnapshotRegister(SnapshotStore.Hex(id), SnapshotStore.Hex(value)));
            }
            vcpus.Add(new SnapshotVcpu { MpState = vcpu.GetMpStateValue(), Registers = registers });
        }
        IReadOnlyList<KvmVgicV3Register> gicRegisters = KvmVgicV3State.Save(gic, Mpidrs(machine), Arm64Platform.GicInterrupts, lpis: its is not null);
        SdeiState? sdeiState = sdei?.Dispatcher.ExportState();
        return new SnapshotDocument
        {
            Machine = new SnapshotMachine
            {
                Cpus = machine.Vcpus.Count,
                MemoryBytes = machine.Config.MemoryBytes,
                Kernel = Path.GetFullPath(config.KernelPath),
                Initramfs = config.InitramfsPath is null ? null : Path.GetFullPath(config.InitramfsPath),
                Cmdline = config.Cmdline,
            },
            Vcpus = vcpus,
            Gic = [.. gicRegisters.Select(ToDocument)],
            Its = itsRegisters is null ? null : [.. itsRegisters.Select(ToDocument)],
            Pci = functions.Count == 0 ? null : functions,
            Uart = console.GetState(),
            Gpio = gpio.GetState(),
            Sdei = sdeiState is null ? null : new SnapshotSdei
            {
                Shared = [.. sdeiState.Shared.Select(ToDocument)],
                Vcpus = [.. sdeiState.Vcpus.Select(list => (IReadOnlyList<SnapshotRegister>)[.. list.Select(ToDocument)])],
            },
        };
    }

    /// <summary>Puts the snapshot in <paramref name="directory"/> (its <paramref name="document"/>
    /// already read and checked by <see cref="SnapshotStore.Load"/>) into a machine just built for
    /// it, before any vCPU has run. Anything that does not fit this machine throws
    /// <see cref="SnapshotException"/> naming it.</summary>
    public static void Restore(string directory, SnapshotDocument document, Machine machine, KvmDevice gic, KvmDevice? its,
        PciRootBus pci, IReadOnlyList<PciAttachment> functions, Serial8250 console, Pl061Gpio gpio, GpioPowerKey powerKey, SdeiFirmware? sdei)
    {
        if (document.Arch != SnapshotDocument.Arm64Arch)
        {
            throw new SnapshotException($"the snapshot is of an {document.Arch} machine; this is arm64");
        }
        if (document.Vcpus.Count != machine.Vcpus.Count || document.Machine.MemoryBytes != machine.Config.MemoryBytes)
        {
            throw new SnapshotException($"the snapshot's machine has {document.Vcpus.Count} vCPUs and {document.Machine.MemoryBytes} bytes of RAM; this one {machine.Vcpus.Count} and {machine.Config.MemoryBytes}");
        }
        if ((document.Sdei is null) != (sdei is null))
        {
            throw new SnapshotException(sdei is null
                ? "the snapshot's guest had SDEI, and this host's KVM cannot forward SMCCC calls (KVM_ARM_VM_SMCCC_FILTER, Linux 6.4)"
                : "the snapshot's machine had no SDEI; this one has (restore it on a host like the one it was taken on)");
        }
        IReadOnlyList<SnapshotPciFunction> savedFunctions = document.Pci ?? [];
        PciSnapshot.CheckShape(pci, functions, savedFunctions);
        if ((document.Its is null) != (its is null))
        {
            throw new SnapshotException(its is null
                ? "the snapshot's machine had a GICv3 ITS for its PCI devices' MSIs, and this host's KVM has none"
                : "the snapshot's machine had no GICv3 ITS (its host's KVM had none); this one has (restore it on a host like the one it was taken on)");
        }
        SnapshotStore.LoadMemory(directory, machine.Memory);
        for (int i = 0; i < machine.Vcpus.Count; i++)
        {
            RestoreVcpu(i, document.Vcpus[i], machine.Vcpus[i].Vcpu);
        }
        List<KvmVgicV3Register> gicRegisters = [.. document.Gic.Select(r => FromDocument(r, "GIC"))];
        try
        {
            KvmVgicV3State.Restore(gic, Mpidrs(machine), Arm64Platform.GicInterrupts, gicRegisters, lpis: its is not null);
        }
        catch (KvmVgicStateException e)
        {
            throw new SnapshotException($"the snapshot's GIC state does not fit this machine: {e.Message}", e);
        }
        if (its is not null && document.Its is { } itsRegisters)
        {
            try
            {
                KvmVgicItsState.Restore(its, [.. itsRegisters.Select(r => FromDocument(r, "ITS"))]);
            }
            catch (Exception e) when (e is KvmVgicStateException or Sys.ErrnoException)
            {
                throw new SnapshotException($"the snapshot's ITS state does not fit this machine: {e.Message}", e);
            }
        }
        // The PCI functions after the GIC and ITS, which their replayed MSI-X routes point at.
        PciSnapshot.Restore(pci, functions, savedFunctions);
        try
        {
            console.RestoreState(document.Uart);
        }
        catch (ArgumentException e)
        {
            throw new SnapshotException($"the snapshot's UART state is invalid: {e.Message}", e);
        }
        // A version 1 snapshot's machine had no GPIO controller and its guest's device tree none:
        // the controller stays at reset, which is all that guest could have left it in.
        if (document.Gpio is { } gpioState)
        {
            try
            {
                gpio.RestoreState(gpioState);
            }
            catch (ArgumentException e)
            {
                throw new SnapshotException($"the snapshot's GPIO state is invalid: {e.Message}", e);
            }
        }
        powerKey.Release();
        if (document.Sdei is { } state && sdei is not null)
        {
            try
            {
                sdei.Dispatcher.ImportState(new SdeiState(
                    [.. state.Shared.Select(r => FromDocument(r, "SDEI shared"))],
                    [.. state.Vcpus.Select((list, v) => (IReadOnlyList<SdeiRegister>)[.. list.Select(r => FromDocument(r, $"SDEI vCPU {v}"))])]));
            }
            catch (SdeiStateException e)
            {
                throw new SnapshotException($"the snapshot's SDEI state does not fit this machine: {e.Message}", e);
            }
        }
    }

    private static void RestoreVcpu(int index, SnapshotVcpu saved, KvmVcpu vcpu)
    {
        if (!KvmArm64MpState.IsValid(saved.MpState))
        {
            throw new SnapshotException($"vCPU {index}: MP state {saved.MpState} is not one an arm64 vCPU can be in");
        }
        // The same registers as this KVM lists for a vCPU of this machine: a snapshot from
        // another kernel or CPU (more, fewer or other registers) is refused before any is set.
        var present = new HashSet<ulong>(vcpu.GetRegisterList());
        var seen = new HashSet<ulong>();
        var values = new List<(ulong Id, byte[] Value)>(saved.Registers.Count);
        foreach (SnapshotRegister r in saved.Registers)
        {
            ulong id = SnapshotStore.ParseNumber(r.Id, $"vCPU {index} register id");
            if (!present.Contains(id))
            {
                throw new SnapshotException($"vCPU {index}: register {r.Id} is not one this host's KVM has (a snapshot from another kernel or CPU)");
            }
            if (!seen.Add(id))
            {
                throw new SnapshotException($"vCPU {index}: register {r.Id} appears twice");
            }
            values.Add((id, SnapshotStore.ParseBytes(r.Value, KvmArm64Registers.SizeOf(id), $"vCPU {index} register {r.Id}")));
        }
        if (seen.Count != present.Count)
        {
            ulong missing = present.First(id => !seen.Contains(id));
            throw new SnapshotException($"vCPU {index}: the snapshot lacks register {SnapshotStore.Hex(missing)} (and {present.Count - seen.Count - 1} more)");
        }
        foreach ((ulong id, byte[] value) in values)
        {
            try
            {
                vcpu.SetOneReg(id, value);
            }
            catch (Sys.ErrnoException e)
            {
                throw new SnapshotException($"vCPU {index}: KVM refused register {SnapshotStore.Hex(id)} = {SnapshotStore.Hex(value)}: {e.Message}", e);
            }
        }
        vcpu.SetMpStateValue(saved.MpState);
    }

    private static ulong[] Mpidrs(Machine machine) => [.. machine.Vcpus.Select(r => r.Vcpu.GetOneReg(KvmArm64Registers.MpidrEl1))];

    private static SnapshotDeviceRegister ToDocument(KvmVgicV3Register r) => new(r.Group, SnapshotStore.Hex(r.Attr), SnapshotStore.Hex(r.Value));

    private static KvmVgicV3Register FromDocument(SnapshotDeviceRegister r, string what) =>
        new(r.Group, SnapshotStore.ParseNumber(r.Attr, $"{what} attr"), SnapshotStore.ParseNumber(r.Value, $"{what} register {r.Attr}"));

    private static SnapshotRegister ToDocument(SdeiRegister r) => new(SnapshotStore.Hex(r.Id), SnapshotStore.Hex(r.Value));

    private static SdeiRegister FromDocument(SnapshotRegister r, string what) =>
        new(SnapshotStore.ParseNumber(r.Id, what + " id"), SnapshotStore.ParseNumber(r.Value, $"{what} {r.Id}"));
}
