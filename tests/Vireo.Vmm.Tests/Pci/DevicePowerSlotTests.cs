using Vireo.Devices;
using Vireo.Kvm;
using Vireo.Memory;
using Vireo.Sys;
using Vireo.TestSupport;
using Vireo.VfioUser;
using static Vireo.Vmm.Tests.SlotGuestCode;

namespace Vireo.Vmm.Tests;

/// <summary>The guest's ACPI power methods for an assigned device (its slot's power resource,
/// _PS0/_PS3, _DSW) trap to the slot's registers and drive the device's low power; its wake and
/// its notify codes come back to the guest as its two GPEs. Guest code here plays the AML: it
/// writes the bytes the methods write (SlotPowerDevice's registers), on a real vCPU.</summary>
public sealed class DevicePowerSlotTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    [KvmFact]
    public void Powering_off_without_a_wake_is_a_plain_entry_and_powering_on_is_an_exit()
    {
        var device = new KernelLikeVfioDevice();
        using VfioPciFunction fn = VfioPciFunction.Open(device, "edu");
        using KvmSystem kvm = KvmSystem.Open();
        using BuiltMachine built = Build(kvm, fn);
        DevicePowerSlot slot = Assert.Single(built.DevicePowerSlots);
        var reported = new List<DevicePowerEvent>();
        built.ObservePciDevicePower(e => { lock (reported) { reported.Add(e); } });
        ushort port = slot.Device.Port.Value;
        byte[] code =
        [
            .. Out(port, (byte)SlotPowerCommand.EnterD3Hot),    // _PS3
            .. Out(port, (byte)SlotPowerCommand.PowerOff),      // PRES._OFF
            .. InToMemory(port, 0x3000),                        // PRES._STA
            .. Out(port, (byte)SlotPowerCommand.PowerOn),       // PRES._ON
            .. Out(port, (byte)SlotPowerCommand.EnterD0),       // _PS0
            .. InToMemory(port, 0x3004),
            .. PowerOff(),
        ];
        TestGuest.LoadLongMode(built.Machine, code);

        Assert.Equal(MachineExitReason.PowerOff, TestGuest.RunToExit(built.Machine).Reason);

        Assert.Equal(["entry", "exit"], device.PowerLog);
        Assert.Equal(0, built.Machine.Memory.Read<byte>(new GuestAddress(0x3000)));
        Assert.Equal(1, built.Machine.Memory.Read<byte>(new GuestAddress(0x3004)));
        Assert.Equal("active", fn.PowerState);
        Assert.Equal("D0", Assert.Single(built.DescribePciDevices(), d => d.Id == "edu").DState);
        lock (reported)
        {
            Assert.Equal(
                [
                    "PowerState guest D3hot",
                    "LowPower guest none",
                    "PowerState guest D3cold",
                    "Wake guest ",
                    "PowerState guest D0",
                    "PowerState guest D0",
                ],
                reported.Select(e => $"{e.Kind} {e.Cause} {e.Kind switch
                {
                    DevicePowerEventKind.LowPower => e.Wake ? "armed" : "none",
                    DevicePowerEventKind.Wake => "",
                    _ => e.Detail,
                }}"));
        }
    }

    [KvmFact]
    public void A_guest_that_arms_a_wake_for_a_device_without_the_wakeup_form_gets_a_plain_entry_reported_as_such()
    {
        var device = new KernelLikeVfioDevice { OffersWakeup = false };
        using VfioPciFunction fn = VfioPciFunction.Open(device, "edu");
        using KvmSystem kvm = KvmSystem.Open();
        using BuiltMachine built = Build(kvm, fn);
        DevicePowerSlot slot = Assert.Single(built.DevicePowerSlots);
        var reported = new List<DevicePowerEvent>();
        built.ObservePciDevicePower(e => { lock (reported) { reported.Add(e); } });
        ushort port = slot.Device.Port.Value;
        byte[] code =
        [
            .. Out(port, (byte)SlotPowerCommand.EnableWake),    // _DSW (1, 0, 3)
            .. Out(port, (byte)SlotPowerCommand.EnterD3Hot),
            .. Out(port, (byte)SlotPowerCommand.PowerOff),
            .. PowerOff(),
        ];
        TestGuest.LoadLongMode(built.Machine, code);
        Assert.Equal(MachineExitReason.PowerOff, TestGuest.RunToExit(built.Machine).Reason);

        Assert.Equal(["entry"], device.PowerLog);
        // The guest armed a wake (its D-state report says so), but the device holds no wake
        // eventfd, and the low-power event says that rather than what was asked.
        lock (reported)
        {
            DevicePowerEvent low = Assert.Single(reported, e => e.Kind == DevicePowerEventKind.LowPower);
            Assert.False(low.Wake);
            Assert.True(reported.Last(e => e.Kind == DevicePowerEventKind.PowerState).Wake);
        }
    }

    [KvmFact]
    public void With_a_wake_armed_the_entry_has_a_wake_eventfd_and_the_devices_wake_is_reported_as_the_guests()
    {
        var device = new KernelLikeVfioDevice();
        using VfioPciFunction fn = VfioPciFunction.Open(device, "edu");
        using KvmSystem kvm = KvmSystem.Open();
        using BuiltMachine built = Build(kvm, fn);
        DevicePowerSlot slot = Assert.Single(built.DevicePowerSlots);
        using var woke = new ManualResetEventSlim();
        built.ObservePciDevicePower(e =>
        {
            if (e.Kind == DevicePowerEventKind.Wake)
            {
                woke.Set();
            }
        });
        ushort port = slot.Device.Port.Value;
        byte[] code =
        [
            .. Out(port, (byte)SlotPowerCommand.EnableWake),    // _DSW (1, 0, 3)
            .. Out(port, (byte)SlotPowerCommand.EnterD3Hot),
            .. Out(port, (byte)SlotPowerCommand.PowerOff),
            .. PowerOff(),
        ];
        TestGuest.LoadLongMode(built.Machine, code);
        Assert.Equal(MachineExitReason.PowerOff, TestGuest.RunToExit(built.Machine).Reason);

        Assert.Equal(["entry-wakeup"], device.PowerLog);
        Assert.True(slot.GuestAwaitsWake);
        PciDeviceInfo info = Assert.Single(built.DescribePciDevices(), d => d.Id == "edu");
        Assert.Equal(("low-power", "D3cold", true), (info.Power, info.DState, info.WakeArmed));

        device.Wake!.Signal();

        Assert.True(woke.Wait(s_timeout), "the device's wake was not reported");
        Assert.Equal("active", fn.PowerState);
        // The guest still has to power it on: the entry stays open until its _ON.
        Assert.True(slot.GuestAwaitsWake);
        Assert.Equal(["entry-wakeup"], device.PowerLog);
        Assert.Null(Assert.Single(built.DescribePciDevices(), d => d.Id == "edu").WakeLatency);

        // Its _ON (played here from the test's thread) closes the entry and the wake's trip.
        Thread.Sleep(2);
        slot.Device.Write(SlotPowerDevice.CommandOffset, [(byte)SlotPowerCommand.PowerOn]);

        Assert.Equal(["entry-wakeup", "exit"], device.PowerLog);
        EventLatencyInfo wake = Assert.Single(built.DescribePciDevices(), d => d.Id == "edu").WakeLatency!;
        Assert.Equal(1, wake.Count);
        Assert.True(wake.MedianUs >= 2000, wake.ToString());
        // A power-on with no wake raised before it is no sample.
        slot.Device.Write(SlotPowerDevice.CommandOffset, [(byte)SlotPowerCommand.PowerOff]);
        slot.Device.Write(SlotPowerDevice.CommandOffset, [(byte)SlotPowerCommand.PowerOn]);
        Assert.Equal(1, Assert.Single(built.DescribePciDevices(), d => d.Id == "edu").WakeLatency!.Count);
    }

    [KvmFact]
    public void Notify_codes_from_the_devices_channel_reach_its_mailbox_in_order_and_raise_its_notify_gpe_only()
    {
        var device = new KernelLikeVfioDevice { OffersAcpiNotify = true };
        using VfioPciFunction fn = VfioPciFunction.Open(device, "edu");
        Assert.True(fn.HasAcpiNotify);
        using KvmSystem kvm = KvmSystem.Open();
        using BuiltMachine built = Build(kvm, fn);
        DevicePowerSlot slot = Assert.Single(built.DevicePowerSlots);
        var codes = new List<int>();
        built.ObservePciDevicePower(e =>
        {
            if (e.Kind == DevicePowerEventKind.Notify)
            {
                lock (codes)
                {
                    codes.Add(e.Code);
                }
            }
        });
        EventFd channel = device.AcpiNotifyChannel ?? throw new InvalidOperationException("the function gave index 5 no eventfd");
        byte[] sent = [0x80, 0x81, 0x02, 0x03, .. Enumerable.Range(0, 16).Select(i => (byte)(0x90 + i))];

        // The server's side of the channel: one value at a time, the next once the last was read.
        foreach (byte c in sent)
        {
            Assert.True(SpinWait.SpinUntil(() => !Poller.WaitReadable(channel.Handle, TimeSpan.Zero), s_timeout));
            channel.Signal(AcpiNotification.EncodeCode(c));
        }
        Assert.True(SpinWait.SpinUntil(() => { lock (codes) { return codes.Count == sent.Length; } }, s_timeout));

        Assert.Equal(sent.Length, slot.Device.PendingNotifies);
        AcpiPmState pm = built.PowerManagement.GetState();
        Assert.True(GpeSet(pm, slot.Device.NotifyGpe));
        Assert.False(GpeSet(pm, slot.Device.WakeGpe));
        // The guest's GPE method pops them in the device's order.
        ushort port = slot.Device.Port.Value;
        List<byte> code = [];
        for (int i = 0; i <= sent.Length; i++)
        {
            code.AddRange(InWordToMemory((ushort)(port + 2), 0x3000 + (uint)(2 * i)));
        }
        code.AddRange(PowerOff());
        TestGuest.LoadLongMode(built.Machine, [.. code]);
        Assert.Equal(MachineExitReason.PowerOff, TestGuest.RunToExit(built.Machine).Reason);
        ushort[] popped = [.. Enumerable.Range(0, sent.Length + 1).Select(i => built.Machine.Memory.Read<ushort>(new GuestAddress(0x3000 + (ulong)(2 * i))))];
        Assert.Equal([.. sent.Select(c => (ushort)(0x100 | c)), (ushort)0], popped);
        lock (codes)
        {
            Assert.Equal(sent.Select(c => (int)c), codes);
        }
        // Each code's wait in the mailbox, queued to read by the guest, is in vm.info.
        EventLatencyInfo latency = Assert.Single(built.DescribePciDevices(), d => d.Id == "edu").NotifyLatency!;
        Assert.Equal(sent.Length, latency.Count);
        Assert.True(latency.MedianUs > 0 && latency.MedianUs <= latency.P90Us && latency.P90Us <= latency.MaxUs, latency.ToString());
        Assert.Null(Assert.Single(built.DescribePciDevices(), d => d.Id == "edu").WakeLatency);
    }

    [KvmFact]
    public void With_the_mailbox_full_the_next_code_waits_unread_at_the_device_until_the_guest_reads_one()
    {
        var device = new KernelLikeVfioDevice { OffersAcpiNotify = true };
        using VfioPciFunction fn = VfioPciFunction.Open(device, "edu");
        using KvmSystem kvm = KvmSystem.Open();
        using BuiltMachine built = Build(kvm, fn);
        DevicePowerSlot slot = Assert.Single(built.DevicePowerSlots);
        int lost = 0;
        built.ObservePciDevicePower(e =>
        {
            if (e.Kind == DevicePowerEventKind.NotifyLost)
            {
                Interlocked.Increment(ref lost);
            }
        });
        EventFd channel = device.AcpiNotifyChannel!;
        for (int i = 0; i < SlotPowerDevice.NotifyCapacity; i++)
        {
            Assert.True(SpinWait.SpinUntil(() => !Poller.WaitReadable(channel.Handle, TimeSpan.Zero), s_timeout));
            channel.Signal(AcpiNotification.EncodeCode((byte)i));
        }
        Assert.True(SpinWait.SpinUntil(() => slot.Device.PendingNotifies == SlotPowerDevice.NotifyCapacity, s_timeout));
        Assert.True(SpinWait.SpinUntil(() => !Poller.WaitReadable(channel.Handle, TimeSpan.Zero), s_timeout));

        // One more: the mailbox is full, so the VMM leaves it in the channel (the device would
        // queue the rest behind it) rather than reading it only to drop it.
        channel.Signal(AcpiNotification.EncodeCode(0xaa));
        Thread.Sleep(VfioPciFunction.NotifyRecheck * 5);
        Assert.True(Poller.WaitReadable(channel.Handle, TimeSpan.Zero), "the VMM read a code its full mailbox could not take");
        Assert.Equal(SlotPowerDevice.NotifyCapacity, slot.Device.PendingNotifies);
        Assert.Equal(0, slot.Device.DroppedNotifies);
        Assert.Equal(0, Volatile.Read(ref lost));

        // The guest reads one code: the waiting one follows it in.
        Span<byte> popped = stackalloc byte[2];
        slot.Device.Read(SlotPowerDevice.NotifyOffset, popped);
        Assert.Equal(0x100, popped[0] | (popped[1] << 8));
        Assert.True(SpinWait.SpinUntil(() => !Poller.WaitReadable(channel.Handle, TimeSpan.Zero), s_timeout), "the held code was never taken");
        Assert.True(SpinWait.SpinUntil(() => slot.Device.PendingNotifies == SlotPowerDevice.NotifyCapacity, s_timeout));
        Assert.Equal(0, slot.Device.DroppedNotifies);
    }

    [KvmFact]
    public void A_value_that_is_no_code_and_a_reported_overflow_are_counted_as_lost_not_delivered()
    {
        var device = new KernelLikeVfioDevice { OffersAcpiNotify = true };
        using VfioPciFunction fn = VfioPciFunction.Open(device, "edu");
        using KvmSystem kvm = KvmSystem.Open();
        using BuiltMachine built = Build(kvm, fn);
        var lost = new List<int>();
        built.ObservePciDevicePower(e =>
        {
            if (e.Kind == DevicePowerEventKind.NotifyLost)
            {
                lock (lost)
                {
                    lost.Add(e.Code);
                }
            }
        });
        EventFd channel = device.AcpiNotifyChannel!;

        channel.Signal(0x301); // two values summed: a server that did not wait
        Assert.True(SpinWait.SpinUntil(() => { lock (lost) { return lost.Count == 1; } }, s_timeout));
        channel.Signal(AcpiNotification.EncodeOverflow(7));
        Assert.True(SpinWait.SpinUntil(() => { lock (lost) { return lost.Count == 2; } }, s_timeout));

        Assert.Equal([1, 7], lost);
        Assert.Equal(0, Assert.Single(built.DevicePowerSlots).Device.PendingNotifies);
    }

    [KvmFact]
    public void A_device_without_the_channel_gets_no_eventfd_and_unbind_takes_the_channel_back()
    {
        var plain = new KernelLikeVfioDevice();
        using (VfioPciFunction fn = VfioPciFunction.Open(plain, "plain"))
        {
            Assert.False(fn.HasAcpiNotify);
        }
        var device = new KernelLikeVfioDevice { OffersAcpiNotify = true };
        using VfioPciFunction notifying = VfioPciFunction.Open(device, "edu");
        using KvmSystem kvm = KvmSystem.Open();
        using (BuiltMachine built = Build(kvm, notifying))
        {
            Assert.NotNull(device.AcpiNotifyChannel);
        }
        Assert.Null(device.AcpiNotifyChannel);
        Assert.Contains("disable AcpiNotify", device.IrqLog);
    }

    [KvmFact]
    public async Task The_control_loop_publishes_the_guests_power_changes_and_sends_an_armed_devices_wake_to_its_wake_gpe()
    {
        var device = new KernelLikeVfioDevice { OffersAcpiNotify = true };
        using VfioPciFunction fn = VfioPciFunction.Open(device, "edu");
        using KvmSystem kvm = KvmSystem.Open();
        BuiltMachine? current = null;
        BuiltMachine BuildAndLoad()
        {
            BuiltMachine built = Build(kvm, fn);
            ushort port = Assert.Single(built.DevicePowerSlots).Device.Port.Value;
            TestGuest.LoadLongMode(built.Machine,
            [
                .. Out(port, (byte)SlotPowerCommand.EnableWake),
                .. Out(port, (byte)SlotPowerCommand.EnterD3Hot),
                .. Out(port, (byte)SlotPowerCommand.PowerOff),
                0xf4, 0xeb, 0xfd,                               // hlt; jmp back to it
            ]);
            current = built;
            return built;
        }
        using var loop = new ControlLoop(BuildAndLoad, new VmDescription(1, 4UL << 20, null, null), new ControlLoopOptions());
        using VmEventSubscription events = loop.Events.Subscribe();
        loop.Start();
        // The slot says D3cold as soon as the guest's _OFF is written, a moment before the device
        // has entered low power (and has its wake eventfd): wait for both.
        await VmInfoPolling.WaitForAsync(loop, i => i.Devices.Any(d => d.Id == "edu" && d.DState == "D3cold" && d.Power == "low-power"));
        DevicePowerSlot slot = Assert.Single(current!.DevicePowerSlots);

        device.Wake!.Signal();
        Assert.True(SpinWait.SpinUntil(() => GpeSet(current.PowerManagement.GetState(), slot.Device.WakeGpe), s_timeout), "the wake GPE was not raised");
        device.AcpiNotifyChannel!.Signal(AcpiNotification.EncodeCode(0x80));
        Assert.True(SpinWait.SpinUntil(() => slot.Device.PendingNotifies == 1, s_timeout));
        await loop.SendAsync(new ShutdownVm(force: true));
        await loop.Completion.WaitAsync(s_timeout);
        List<VmEvent> all = [];
        await foreach (VmEvent e in events.ReadAllAsync().WithCancellation(new CancellationTokenSource(s_timeout).Token))
        {
            all.Add(e);
        }

        string[] device_events = [.. all.Where(e => e.Event.StartsWith("device-", StringComparison.Ordinal))
            .Select(e => $"{e.Event} {string.Join(',', e.Properties!.Where(p => p.Key != "id").OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"))}")];
        Assert.Equal(
            [
                "device-power-state state=D0,wake=armed",
                "device-power-state state=D3hot,wake=armed",
                "device-low-power cause=guest,wake=armed",
                "device-power-state state=D3cold,wake=armed",
                "device-wake cause=device,gpe=raised",
                "device-notify code=0x80",
            ],
            device_events);
        Assert.All(all.Where(e => e.Event.StartsWith("device-", StringComparison.Ordinal)), e => Assert.Equal("edu", e.Properties!["id"]));
    }

    private static bool GpeSet(AcpiPmState pm, int gpe) => (pm.Gpe0Status[gpe / 8] & (1 << (gpe % 8))) != 0;

    private static BuiltMachine Build(KvmSystem kvm, VfioPciFunction fn) => MachineBuilder.BuildBare(kvm, new MachineConfig
    {
        MemoryBytes = 4UL << 20,
        InKernelIrqchip = true,
        PciFunctions = [new PciAttachment(fn, Slot: 3)],
    });
}
