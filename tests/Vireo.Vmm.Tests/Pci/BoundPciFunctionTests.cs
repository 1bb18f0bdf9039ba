using Vireo.Kvm;
using Vireo.Memory;
using Vireo.Sys;
using Vireo.TestSupport;
using Vireo.Vmm.X86;

namespace Vireo.Vmm.Tests;

/// <summary>
/// The builder binds <see cref="IMachineBoundPciFunction"/>s to the machine and the machine
/// unbinds them, over this host's /dev/kvm (PVM here: <see cref="DeviceInterrupts.ForKvm"/>
/// works on it, so the fake's INTx line and ioeventfd are real KVM registrations); the control
/// loop rebinds them across reboots, reports a lost device once, and lists devices in vm.info.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class BoundPciFunctionTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(15);

    [KvmFact]
    public void The_builder_binds_a_function_with_its_slot_gsi_ram_and_interrupts_and_dispose_unbinds_it_while_the_vm_lives()
    {
        using KvmSystem kvm = KvmSystem.Open();
        using var fake = new FakeBoundPciFunction();
        BuiltMachine built = MachineBuilder.BuildBare(kvm, Config(new PciAttachment(fake, Slot: 3)));
        PciFunctionHost host;
        try
        {
            host = Assert.Single(fake.Hosts);
            Assert.Equal(["bind"], fake.Calls);
            Assert.Equal(3, host.Slot);
            Assert.Equal(built.Pci.IntxGsi(3, 0), host.IntxGsi);
            Assert.Same(built.Machine.Memory, host.Memory);
            Assert.Same(built.DeviceInterrupts, host.Interrupts);
            Assert.Equal([fake], built.BoundPciFunctions);
        }
        finally
        {
            built.Dispose();
        }

        Assert.Equal(["bind", "unbind"], fake.Calls);
        // Its irqfd and ioeventfd were deassigned on a live VM: a dead one would have thrown.
        Assert.Empty(fake.UnbindErrors);
        // A loss reported through a host of a machine that is gone goes nowhere, and does not throw.
        host.DeviceLost("late");
    }

    [KvmFact]
    public void A_machine_without_bound_functions_gets_no_device_interrupts()
    {
        using KvmSystem kvm = KvmSystem.Open();
        using BuiltMachine built = MachineBuilder.BuildBare(kvm, Config(new PciAttachment(new EchoPciFunction())));

        Assert.Null(built.DeviceInterrupts);
        Assert.Empty(built.BoundPciFunctions);
        Assert.Equal(GuestMemoryBacking.Private, built.Machine.Memory.Regions[0].Backing);
    }

    [KvmTheory]
    [InlineData(true, GuestMemoryBacking.Shared)]
    [InlineData(false, GuestMemoryBacking.Private)]
    public void Ram_is_a_memfd_exactly_when_a_bound_function_needs_shared_memory(bool needsShared, GuestMemoryBacking expected)
    {
        using KvmSystem kvm = KvmSystem.Open();
        using var fake = new FakeBoundPciFunction(needsSharedMemory: needsShared);
        using BuiltMachine built = MachineBuilder.BuildBare(kvm, Config(new PciAttachment(fake)));

        Assert.All(built.Machine.Memory.Regions, r => Assert.Equal(expected, r.Backing));
        Assert.Equal(expected == GuestMemoryBacking.Shared, built.Machine.Memory.Regions[0].Fd is not null);
    }

    [KvmFact]
    public void A_function_that_cannot_bind_fails_the_build_by_name_and_the_ones_bound_before_it_are_unbound()
    {
        using KvmSystem kvm = KvmSystem.Open();
        using var good = new FakeBoundPciFunction("good");
        using var bad = new FakeBoundPciFunction("bad") { BindFault = new TestDeviceException("the server hung up") };

        MachineBuildException e = Assert.Throws<MachineBuildException>(() =>
            MachineBuilder.BuildBare(kvm, Config(new PciAttachment(good), new PciAttachment(bad))));

        Assert.Equal("cannot bind PCI device bad (fake) in slot 2: the server hung up", e.Message);
        Assert.Equal(["bind", "unbind"], good.Calls);
        Assert.Empty(good.UnbindErrors);
        Assert.Equal(["bind-failed"], bad.Calls);
    }

    [KvmFact]
    public void A_bound_function_needs_the_in_kernel_irqchip()
    {
        using KvmSystem kvm = KvmSystem.Open();
        using var fake = new FakeBoundPciFunction();

        MachineBuildException e = Assert.Throws<MachineBuildException>(() =>
            MachineBuilder.BuildBare(kvm, Config(new PciAttachment(fake)) with { InKernelIrqchip = false }));

        Assert.Contains("fake0 (fake) needs the in-kernel irqchip", e.Message);
        Assert.Empty(fake.Calls);
    }

    [KvmFact]
    public void An_ioeventfd_from_the_host_is_registered_with_kvm_until_disposed()
    {
        using KvmSystem kvm = KvmSystem.Open();
        using KvmVm vm = kvm.CreateVm();
        using EventFd doorbell = EventFd.Create();
        const ulong at = 0xc000_1000;

        IoEventFdRegistration registration = IoEventFdRegistration.Register(vm, at, 4, 7, doorbell);
        // KVM refuses the same registration twice while it stands...
        Assert.Equal(Errno.EEXIST, Assert.Throws<ErrnoException>(() => vm.RegisterIoeventfd(doorbell, new MmioAddress(at), 4, 7)).Errno);
        registration.Dispose();
        registration.Dispose();
        // ...and takes it again once it is gone.
        vm.RegisterIoeventfd(doorbell, new MmioAddress(at), 4, 7);
        Assert.Throws<ArgumentOutOfRangeException>(() => IoEventFdRegistration.Register(vm, at, 3, null, doorbell));
    }

    [KvmFact]
    public void Vm_info_describes_each_function_by_slot_with_ids_bars_and_health()
    {
        using KvmSystem kvm = KvmSystem.Open();
        using var fake = new FakeBoundPciFunction();
        using BuiltMachine built = MachineBuilder.BuildBare(kvm, Config(new PciAttachment(new EchoPciFunction("echo")), new PciAttachment(fake, Slot: 5)));

        IReadOnlyList<PciDeviceInfo> devices = built.DescribePciDevices();

        Assert.Equal(2, devices.Count);
        PciDeviceInfo echo = devices[0];
        Assert.Equal(("echo", "emulated", "0000:00:01.0", "fffe", "0001", "none", true),
            (echo.Id, echo.Backend, echo.Bdf, echo.VendorId, echo.DeviceId, echo.InterruptMode, echo.Alive));
        // The builder's placement: the largest BAR first in each window.
        Assert.Equal(
            [
                new PciBarInfo(0, "memory32", EchoPciFunction.Bar0Size, false, 0xc000_0000UL),
                new PciBarInfo(2, "memory64", EchoPciFunction.Bar2Size, true, built.Pci.Layout.Memory64Base.Value),
                new PciBarInfo(4, "io", EchoPciFunction.Bar4Size, false, 0x1000UL),
            ],
            echo.Bars);
        PciDeviceInfo bound = devices[1];
        Assert.Equal(("fake0", "fake", "0000:00:05.0", "fffe", "0001", "intx", true),
            (bound.Id, bound.Backend, bound.Bdf, bound.VendorId, bound.DeviceId, bound.InterruptMode, bound.Alive));

        fake.Die("gone");

        Assert.False(built.DescribePciDevices()[1].Alive);
    }

    [KvmFact]
    public async Task A_lost_device_is_one_device_lost_event_the_vm_keeps_running_and_vm_info_shows_it_dead()
    {
        using KvmSystem kvm = KvmSystem.Open();
        using var fake = new FakeBoundPciFunction("sample0");
        using var early = new FakeBoundPciFunction("early") { LoseDuringBind = "died while the machine was built" };
        var log = new List<string>();
        using var loop = new ControlLoop(
            () => Halting(MachineBuilder.BuildBare(kvm, Config(new PciAttachment(fake), new PciAttachment(early)))),
            new VmDescription(1, 4UL << 20, null, null),
            new ControlLoopOptions { Log = line => { lock (log) { log.Add(line); } } });
        using VmEventSubscription events = loop.Events.Subscribe();
        loop.Start();
        Assert.True(SpinWait.SpinUntil(() => fake.Host is not null, s_timeout));

        fake.Die("the server closed its socket");
        VmInfo info = await VmInfoPolling.WaitForAsync(loop, i => i.Devices.Any(d => d.Id == "sample0" && !d.Alive));
        await Task.Delay(100);
        VmInfo later = await loop.SendAsync(new GetVmInfo());
        await loop.SendAsync(new ShutdownVm(force: true));
        await loop.Completion.WaitAsync(s_timeout);
        List<VmEvent> all = [];
        await foreach (VmEvent e in events.ReadAllAsync().WithCancellation(new CancellationTokenSource(s_timeout).Token))
        {
            all.Add(e);
        }

        Assert.Equal(VmState.Running, later.State);
        Assert.Equal(["sample0", "early"], info.Devices.Select(d => d.Id));
        List<VmEvent> lost = [.. all.Where(e => e.Event == VmEventNames.DeviceLost)];
        Assert.Equal(2, lost.Count);
        Assert.Equal(
            [
                ("early", "fake", "died while the machine was built"),
                ("sample0", "fake", "the server closed its socket"),
            ],
            lost.Select(e => (e.Properties!["id"], e.Properties["backend"], e.Properties["reason"])).OrderBy(t => t.Item1, StringComparer.Ordinal));
        Assert.Equal(["booted"], all.TakeWhile(e => e.Event != VmEventNames.DeviceLost).Select(e => e.Event));
        lock (log)
        {
            Assert.Contains(log, l => l.Contains("sample0 (fake) lost: the server closed its socket; the VM keeps running", StringComparison.Ordinal));
        }
        Assert.Equal(["bind", "unbind"], fake.Calls);
    }

    [KvmFact]
    public async Task A_reboot_unbinds_the_function_from_the_old_machine_and_binds_the_same_object_to_the_new_one()
    {
        using KvmSystem kvm = KvmSystem.Open();
        using var fake = new FakeBoundPciFunction();
        int builds = 0;
        BuiltMachine Build()
        {
            BuiltMachine built = MachineBuilder.BuildBare(kvm, Config(new PciAttachment(fake)));
            // Two boots end in a triple fault (ud2 with no IDT), a reboot to a PC; the third stops.
            byte[] code = ++builds < 3 ? [0x0f, 0x0b] : [0xf4];
            LongModeSetup.WriteTables(built.Machine.Memory);
            built.Machine.Memory.Write(TestGuest.CodeAddress, code);
            LongModeSetup.StartAt(built.Machine.Vcpus[0].Vcpu, TestGuest.CodeAddress, stack: 0x8000);
            return built;
        }
        using var loop = new ControlLoop(Build, new VmDescription(1, 4UL << 20, null, null), new ControlLoopOptions { RestartOnReboot = true });
        loop.Start();
        // The third guest halts in KVM (in-kernel irqchip); stop it once it is up.
        Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref builds) == 3 && fake.Calls.Count == 5, s_timeout), string.Join(' ', fake.Calls));
        await loop.SendAsync(new ShutdownVm(force: true));
        VmmResult result = await loop.Completion.WaitAsync(s_timeout);

        Assert.Equal(3, result.Boots);
        Assert.Equal(["bind", "unbind", "bind", "unbind", "bind", "unbind"], fake.Calls);
        Assert.Equal(3, fake.Hosts.Select(h => h.Memory).Distinct().Count());
        Assert.Empty(fake.UnbindErrors);
    }

    private static MachineConfig Config(params PciAttachment[] functions) =>
        new() { MemoryBytes = 4UL << 20, Cpus = 1, InKernelIrqchip = true, PciFunctions = functions };

    /// <summary>A guest that halts in KVM (the in-kernel irqchip keeps HLT there) until stopped.</summary>
    private static BuiltMachine Halting(BuiltMachine built)
    {
        TestGuest.LoadLongMode(built.Machine, [0xf4, 0xeb, 0xfd]); // hlt; jmp back to it
        return built;
    }

    private sealed class TestDeviceException(string message) : VireoException(message);
}
