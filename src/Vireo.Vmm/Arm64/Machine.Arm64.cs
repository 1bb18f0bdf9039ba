using Vireo.Devices;
using Vireo.Kvm;
using Vireo.Memory;
using Vireo.Vmm.Arm64;

namespace Vireo.Vmm;

public sealed partial class Machine
{
    /// <summary>
    /// The arm64 machine's VM (<see cref="Arm64Platform"/>): RAM in one memslot from 1 GiB, the
    /// vCPUs initialised as KVM's preferred target with PSCI 0.2+ (in-kernel PSCI: CPU_ON,
    /// SYSTEM_OFF and SYSTEM_RESET; the secondaries start powered off and wait for CPU_ON), then
    /// the in-kernel GICv3, which KVM lets a VMM initialise only once every vCPU exists. The
    /// architected timer is KVM's own. Everything is released if a step fails.
    /// </summary>
    /// <returns>The machine and its GIC device (the caller owns both).</returns>
    internal static (Machine Machine, KvmDevice Gic) CreateArm64(KvmSystem kvm, MachineConfig config, Action<string>? warn)
    {
        config.Validate();
        if (config.Cpus > Arm64Platform.MaxCpus)
        {
            throw new ArgumentOutOfRangeException(nameof(config), config.Cpus, $"the arm64 machine has at most {Arm64Platform.MaxCpus} vCPUs");
        }
        KvmVm vm = kvm.CreateVm();
        GuestMemory? memory = null;
        KvmDevice? gic = null;
        var vcpus = new List<KvmVcpu>();
        try
        {
            memory = GuestMemory.Create(config.MemoryBacking, (Arm64Platform.RamBase, config.MemoryBytes));
            uint slot = 0;
            foreach (GuestRegion region in memory.Regions)
            {
                vm.SetUserMemoryRegion(slot++, region.Start, region.Size, region.DangerousGetHostAddress());
            }
            KvmVcpuInit preferred = vm.GetPreferredTarget().WithFeature(KvmArm64VcpuFeature.Psci02);
            for (uint i = 0; i < config.Cpus; i++)
            {
                KvmVcpu vcpu = vm.CreateVcpu(i);
                vcpus.Add(vcpu);
                vcpu.InitArm64(i == 0 ? preferred : preferred.WithFeature(KvmArm64VcpuFeature.PowerOff));
            }
            gic = vm.CreateDevice(KvmDeviceType.ArmVgicV3);
            gic.SetAttribute(KvmArmVgic.GroupAddr, KvmArmVgic.V3AddrTypeDist, Arm64Platform.GicDistributor.Value);
            gic.SetAttribute(KvmArmVgic.GroupAddr, KvmArmVgic.V3AddrTypeRedist, Arm64Platform.GicRedistributors.Value);
            gic.SetAttribute32(KvmArmVgic.GroupNrIrqs, 0, Arm64Platform.GicInterrupts);
            gic.SetAttribute(KvmArmVgic.GroupCtrl, KvmArmVgic.CtrlInit);
            // No coalesced ring: the UART's transmit register is MMIO here, and the ring's
            // replay is the PC's (port I/O first); every access exits.
            var machine = new Machine(config, vm, memory, new Bus<PioAddress>("port I/O", warn), new Bus<MmioAddress>("MMIO", warn), [.. vcpus], ring: null);
            return (machine, gic);
        }
        catch
        {
            ReleasePartial(gic, vcpus, memory, vm);
            throw;
        }
    }

    /// <summary>
    /// Gives the arm64 VM an in-kernel GICv3 ITS at <see cref="Arm64Platform.GicIts"/>, so PCI
    /// functions' MSI and MSI-X writes become LPIs (arm-vgic-its.rst: create, set its base, init;
    /// the GIC itself may already be initialised, as QEMU's virt does it). From then on KVM wants
    /// every MSI route to name its device (KVM_CAP_MSI_DEVID), which <see cref="KvmInterrupts"/>
    /// asks the VM. Returns null, after <paramref name="warn"/>, where this KVM has no ITS: the
    /// functions then interrupt through INTx only.
    /// </summary>
    internal static KvmDevice? CreateArm64Its(KvmVm vm, Action<string>? warn)
    {
        KvmDevice its;
        try
        {
            its = vm.CreateDevice(KvmDeviceType.ArmVgicIts);
        }
        catch (Sys.ErrnoException e)
        {
            warn?.Invoke($"this host's KVM has no GICv3 ITS ({e.Message}): PCI functions interrupt through INTx, without MSI");
            return null;
        }
        try
        {
            its.SetAttribute(KvmArmVgic.GroupAddr, KvmArmVgic.ItsAddrType, Arm64Platform.GicIts.Value);
            its.SetAttribute(KvmArmVgic.GroupCtrl, KvmArmVgic.CtrlInit);
            return its;
        }
        catch
        {
            its.Dispose();
            throw;
        }
    }
}
