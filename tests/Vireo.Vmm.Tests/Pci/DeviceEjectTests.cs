using Vireo.Devices;
using Vireo.Kvm;
using Vireo.Memory;
using Vireo.Sys;
using Vireo.TestSupport;
using Vireo.VfioUser;
using Vireo.Vmm.X86;
using static Vireo.Vmm.Tests.SlotGuestCode;

namespace Vireo.Vmm.Tests;

/// <summary>The guest ejects an assigned device: its slot's _EJ0 writes Eject to the slot's
/// command port (guest code plays the AML here, on a real vCPU), and the VMM detaches the function
/// on that vCPU: the slot reads as empty, the BAR windows and memory slots go, the device is
/// unbound and closed, and the control loop publishes device-ejected.</summary>
[Collection(SerialCollection.Name)]
public sealed class DeviceEjectTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(15);
    private const uint EduIds = ((uint)KernelLikeVfioDevice.Device << 16) | KernelLikeVfioDevice.Vendor;

    [KvmFact]
    public void Eject_through_the_port_detaches_the_function_and_closes_its_device_and_a_second_eject_is_harmless()
    {
        var device = new KernelLikeVfioDevice { OffersAcpiNotify = true };
        using VfioPciFunction fn = VfioPciFunction.Open(device, "edu");
        using KvmSystem kvm = KvmSystem.Open();
        var warnings = new List<string>();
        BuiltMachine built = Build(kvm, warnings, new PciAttachment(fn, Slot: 3));
        try
        {
            EjectTwice(built, device, fn, warnings);
        }
        finally
        {
            built.Dispose();
        }

        // Neither the machine's end nor the function's owner closes the device a second time.
        fn.Dispose();
        Assert.Equal(1, device.Disposals);
    }

    private static void EjectTwice(BuiltMachine built, KernelLikeVfioDevice device, VfioPciFunction fn, List<string> warnings)
    {
        var reported = new List<DevicePowerEvent>();
        built.ObservePciDevicePower(e => { lock (reported) { reported.Add(e); } });
        var lost = new List<string>();
        built.ObservePciDeviceLoss((f, reason) => { lock (lost) { lost.Add($"{f.Id}: {reason}"); } });
        DevicePowerSlot slot = Assert.Single(built.DevicePowerSlots);
        ushort port = slot.Device.Port.Value;
        uint bar0 = checked((uint)built.Pci.BarAddress(3, 0)!.Value);
        Assert.NotNull(device.AcpiNotifyChannel);
        Assert.NotEmpty(device.Mapped);
        byte[] code =
        [
            .. ReadToMemory(bar0, 0x3000),                      // a trapped register
            .. ConfigReadToMemory(3, 0, 0x3004),
            .. InToMemory((ushort)(port + 1), 0x3008),          // _STA
            .. Out(port, (byte)SlotPowerCommand.Eject),         // _EJ0 (1)
            .. InToMemory((ushort)(port + 1), 0x300c),          // _STA after the eject
            .. ConfigReadToMemory(3, 0, 0x3010),
            .. ReadToMemory(bar0, 0x3014),
            .. Out(port, (byte)SlotPowerCommand.Eject),         // _EJ0 again
            .. PowerOff(),
        ];
        TestGuest.LoadLongMode(built.Machine, code);

        Assert.Equal(MachineExitReason.PowerOff, TestGuest.RunToExit(built.Machine).Reason);

        GuestMemory memory = built.Machine.Memory;
        Assert.Equal(KernelLikeVfioDevice.IdRegister, memory.Read<uint>(new GuestAddress(0x3000)));
        Assert.Equal(EduIds, memory.Read<uint>(new GuestAddress(0x3004)));
        Assert.Equal(SlotPowerDevice.PresentStatus, memory.Read<byte>(new GuestAddress(0x3008)));
        // After the eject, as the guest sees it: _STA 0, an empty slot, nothing at the BAR.
        Assert.Equal(0, memory.Read<byte>(new GuestAddress(0x300c)));
        Assert.Equal(uint.MaxValue, memory.Read<uint>(new GuestAddress(0x3010)));
        Assert.Equal(uint.MaxValue, memory.Read<uint>(new GuestAddress(0x3014)));
        // The machine's side: off the bus, off the bound list, out of vm.info.
        Assert.Null(built.Pci.FunctionAt(3));
        Assert.DoesNotContain(built.Machine.Mmio.Devices, d => d.Name.Contains("edu", StringComparison.Ordinal));
        Assert.Empty(built.BoundPciFunctions);
        Assert.Empty(built.DescribePciDevices());
        // The device's side: unbound (DMA maps gone, the notify channel taken back) and closed once.
        Assert.True(fn.IsEjected);
        Assert.False(fn.IsAlive);
        Assert.Empty(device.Mapped);
        Assert.Null(device.AcpiNotifyChannel);
        Assert.Contains("disable AcpiNotify", device.IrqLog);
        Assert.Equal(1, device.Disposals);
        lock (reported)
        {
            DevicePowerEvent ejected = Assert.Single(reported, e => e.Kind == DevicePowerEventKind.Ejected);
            Assert.Equal(("edu", 3, "guest"), (ejected.Id, ejected.Code, ejected.Cause));
        }
        lock (lost)
        {
            Assert.Empty(lost);
        }
        Assert.Single(warnings, w => w.Contains("ejected slot 3 (edu) again", StringComparison.Ordinal));
    }

    [KvmFact]
    public void Ejecting_a_vfio_user_device_closes_the_connection_and_the_server_sees_its_client_leave()
    {
        using var server = new SampleAcceleratorServer();
        using VfioPciFunction fn = VfioPciFunction.Open(VfioUserClient.Open(server.ClientEnd), "sample");
        using KvmSystem kvm = KvmSystem.Open();
        var warnings = new List<string>();
        using BuiltMachine built = Build(kvm, warnings, new PciAttachment(fn, Slot: 2));
        var lost = new List<string>();
        built.ObservePciDeviceLoss((f, reason) => { lock (lost) { lost.Add(reason); } });
        ushort port = Assert.Single(built.DevicePowerSlots).Device.Port.Value;
        uint bar0 = checked((uint)built.Pci.BarAddress(2, 0)!.Value);
        uint buffer = checked((uint)built.Pci.BarAddress(2, Vireo.SampleDevice.AcceleratorDevice.BufferBar)!.Value) + 0x100;
        TestGuest.LoadLongMode(built.Machine,
        [
            .. ReadToMemory(bar0, 0x3000),
            .. Write(buffer, 0xcafe_f00d),                      // the buffer BAR is guest memory
            .. ReadToMemory(buffer, 0x300c),
            .. Out(port, (byte)SlotPowerCommand.Eject),
            .. ConfigReadToMemory(2, 0, 0x3004),
            .. ReadToMemory(bar0, 0x3008),
            .. ReadToMemory(buffer, 0x3010),
            .. PowerOff(),
        ]);

        Assert.Equal(MachineExitReason.PowerOff, TestGuest.RunToExit(built.Machine).Reason);

        Assert.True(server.WaitForClientToLeave(s_timeout), "the server still serves the ejected device's connection");
        GuestMemory memory = built.Machine.Memory;
        Assert.Equal(Vireo.SampleDevice.AcceleratorDevice.Id, memory.Read<uint>(new GuestAddress(0x3000)));
        Assert.Equal(uint.MaxValue, memory.Read<uint>(new GuestAddress(0x3004)));
        Assert.Equal(uint.MaxValue, memory.Read<uint>(new GuestAddress(0x3008)));
        // The buffer's memory slot went with the BAR: the guest no longer reaches the server's memory.
        Assert.Equal(0xcafe_f00du, memory.Read<uint>(new GuestAddress(0x300c)));
        Assert.Equal(uint.MaxValue, memory.Read<uint>(new GuestAddress(0x3010)));
        Assert.True(fn.IsEjected);
        Assert.False(fn.Device.IsConnected);
        // The connection closing is the eject, not a loss.
        Thread.Sleep(100);
        lock (lost)
        {
            Assert.Empty(lost);
        }
    }

    [KvmFact]
    public async Task The_control_loop_publishes_device_ejected_vm_info_drops_the_device_and_a_reboot_keeps_its_slot_empty()
    {
        var edu = new KernelLikeVfioDevice();
        var other = new KernelLikeVfioDevice();
        using VfioPciFunction ejected = VfioPciFunction.Open(edu, "edu");
        using VfioPciFunction stays = VfioPciFunction.Open(other, "other");
        using KvmSystem kvm = KvmSystem.Open();
        var warnings = new List<string>();
        var machines = new List<BuiltMachine>();
        BuiltMachine Build()
        {
            // Both take the first free slot: edu 1, other 2.
            BuiltMachine built = DeviceEjectTests.Build(kvm, warnings, new PciAttachment(ejected), new PciAttachment(stays));
            byte[] code = machines.Count == 0
                // The first guest ejects edu, then triple-faults (ud2 with no IDT): a reboot.
                ? [.. Out(built.DevicePower("edu")!.Device.Port.Value, (byte)SlotPowerCommand.Eject), 0x0f, 0x0b]
                : [0xf4, 0xeb, 0xfd];
            LongModeSetup.WriteTables(built.Machine.Memory);
            built.Machine.Memory.Write(TestGuest.CodeAddress, code);
            LongModeSetup.StartAt(built.Machine.Vcpus[0].Vcpu, TestGuest.CodeAddress, stack: 0x8000);
            lock (machines)
            {
                machines.Add(built);
            }
            return built;
        }
        using var loop = new ControlLoop(Build, new VmDescription(1, 4UL << 20, null, null), new ControlLoopOptions { RestartOnReboot = true });
        using VmEventSubscription events = loop.Events.Subscribe();
        loop.Start();

        VmInfo info = await VmInfoPolling.WaitForAsync(loop, i => i.Devices.Count > 0 && machines.Count == 2);
        BuiltMachine second;
        lock (machines)
        {
            second = machines[1];
        }
        await loop.SendAsync(new ShutdownVm(force: true));
        await loop.Completion.WaitAsync(s_timeout);
        List<VmEvent> all = [];
        await foreach (VmEvent e in events.ReadAllAsync().WithCancellation(new CancellationTokenSource(s_timeout).Token))
        {
            all.Add(e);
        }

        VmEvent published = Assert.Single(all, e => e.Event == VmEventNames.DeviceEjected);
        Assert.Equal(
            [("address", "0000:00:01.0"), ("id", "edu"), ("slot", "1")],
            published.Properties!.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => (p.Key, p.Value)));
        // Ejected during the first boot, and not again after the reboot.
        Assert.Equal(["booted", VmEventNames.DeviceEjected, "booted"],
            all.Where(e => e.Event is "booted" or VmEventNames.DeviceEjected).Select(e => e.Event));
        // The rebuilt machine has no edu, and other is where it was.
        PciDeviceInfo remaining = Assert.Single(info.Devices);
        Assert.Equal(("other", "0000:00:02.0"), (remaining.Id, remaining.Bdf));
        Assert.Null(second.Pci.FunctionAt(1));
        Assert.Equal([2], second.DevicePowerSlots.Select(s => s.Slot));
        Assert.Equal(1, edu.Disposals);
        Assert.Equal(0, other.Disposals);
        Assert.Contains(warnings, w => w.Contains("edu (vfio (test)) was ejected by the guest; slot 1 stays empty", StringComparison.Ordinal));
    }

    /// <summary>The device's notify codes and its wake arrive on the function's events thread while the guest
    /// ejects it: whichever comes first, nothing throws, the eject happens once, and no loss is
    /// reported. Run a few times, since the interleaving is the host's.</summary>
    [KvmFact]
    public void An_eject_racing_the_devices_notify_codes_and_wake_does_not_crash()
    {
        for (int round = 0; round < 5; round++)
        {
            var device = new KernelLikeVfioDevice { OffersAcpiNotify = true };
            using VfioPciFunction fn = VfioPciFunction.Open(device, "edu");
            using KvmSystem kvm = KvmSystem.Open();
            using BuiltMachine built = Build(kvm, [], new PciAttachment(fn, Slot: 3));
            var reported = new List<DevicePowerEvent>();
            built.ObservePciDevicePower(e => { lock (reported) { reported.Add(e); } });
            var lost = new List<string>();
            built.ObservePciDeviceLoss((f, reason) => { lock (lost) { lost.Add(reason); } });
            ushort port = Assert.Single(built.DevicePowerSlots).Device.Port.Value;
            EventFd channel = device.AcpiNotifyChannel!;
            using var stop = new CancellationTokenSource();
            var device_side = new Thread(() =>
            {
                bool woke = false;
                while (!stop.IsCancellationRequested)
                {
                    try
                    {
                        channel.Signal(AcpiNotification.EncodeCode(0x80));
                        if (!woke && device.Wake is EventFd wake)
                        {
                            wake.Signal();
                            woke = true;
                        }
                    }
                    catch (ObjectDisposedException)
                    {
                        // The function closed the eventfd it gave the device: the eject got there.
                        return;
                    }
                    Thread.Yield();
                }
            })
            { IsBackground = true, Name = "racing device" };
            device_side.Start();
            TestGuest.LoadLongMode(built.Machine,
            [
                .. Out(port, (byte)SlotPowerCommand.EnableWake),
                .. Out(port, (byte)SlotPowerCommand.EnterD3Hot),
                .. Out(port, (byte)SlotPowerCommand.PowerOff),
                .. InWordToMemory((ushort)(port + 2), 0x3000),  // the GPE method pops a code
                .. Out(port, (byte)SlotPowerCommand.Eject),
                .. InWordToMemory((ushort)(port + 2), 0x3002),
                .. PowerOff(),
            ]);

            MachineExit exit = TestGuest.RunToExit(built.Machine);
            stop.Cancel();
            Assert.True(device_side.Join(s_timeout));

            Assert.Equal(MachineExitReason.PowerOff, exit.Reason);
            Assert.True(fn.IsEjected);
            Assert.Equal(1, device.Disposals);
            Assert.Null(device.AcpiNotifyChannel);
            Assert.Contains("exit", device.PowerLog);
            lock (reported)
            {
                Assert.Single(reported, e => e.Kind == DevicePowerEventKind.Ejected);
                // After the eject, codes that still arrive are lost to the guest, never queued.
                Assert.All(reported.SkipWhile(e => e.Kind != DevicePowerEventKind.Ejected).Skip(1), e => Assert.NotEqual(DevicePowerEventKind.Notify, e.Kind));
            }
            Assert.False(Assert.Single(built.DevicePowerSlots).GuestAwaitsWake);
            lock (lost)
            {
                Assert.Empty(lost);
            }
        }
    }

    [KvmFact]
    public void Forgetting_a_function_removes_its_memory_slots_and_unmaps_its_areas()
    {
        using KvmSystem kvm = KvmSystem.Open();
        using KvmVm vm = kvm.CreateVm();
        using var shared = new SharedMemoryPciFunction();
        uint next = 0;
        var warnings = new List<string>();
        using var slots = new PciBarMemorySlots(vm, () => next++, warnings.Add);
        Vireo.Pci.PciBarDescriptor bar = Assert.Single(shared.Bars);
        var at = new MmioAddress(0xc000_0000);
        slots.OnMemoryBarPlaced(shared, bar, at);
        Assert.Equal(1, shared.MapCalls);
        using MappedMemory probe = shared.MapArea(0, Assert.Single(bar.MmapAreas));
        var areaAt = new GuestAddress(at.Value + 0x1000);
        // KVM refuses a second slot over the area's range while the area's slot is there.
        Assert.Throws<ErrnoException>(() => vm.SetUserMemoryRegion(100, areaAt, 0x1000, probe.DangerousGetAddress()));

        Assert.Equal(1, slots.Forget(shared));

        vm.SetUserMemoryRegion(100, areaAt, 0x1000, probe.DangerousGetAddress());
        vm.RemoveUserMemoryRegion(100, areaAt);
        Assert.Equal(0, slots.Forget(shared));
        // Nothing of it is left: placing the BAR again maps the area anew.
        slots.OnMemoryBarPlaced(shared, bar, at);
        Assert.Equal(3, shared.MapCalls);
        Assert.Empty(warnings);
    }

    private static BuiltMachine Build(KvmSystem kvm, List<string> warnings, params PciAttachment[] functions) => MachineBuilder.BuildBare(kvm, new MachineConfig
    {
        MemoryBytes = 4UL << 20,
        Cpus = 1,
        InKernelIrqchip = true,
        PciFunctions = functions,
    }, warn: w => { lock (warnings) { warnings.Add(w); } });
}
