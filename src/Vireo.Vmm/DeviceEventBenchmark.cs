using System.Diagnostics;
using Vireo.Devices;
using Vireo.Kvm;

namespace Vireo.Vmm;

/// <summary>
/// `vireo bench device-events`: the VMM time of an assigned device's two events against a plain
/// exit measured in the same run (issue #14's benchmark; goal: at most two exit costs each).
/// <list type="number">
/// <item>Notify: the device queues an ACPI notify code (<c>notify</c>: the vfio-user server writes
/// IRQ index 5's eventfd) → the function's events thread reads it → the code is in the device's mailbox
/// and its notify GPE's status bit is set (what the guest's SCI then sees).</item>
/// <item>Wake: with the device powered off by the guest's ACPI methods (played by this thread
/// writing _DSW and _OFF's bytes), the device wakes itself (<c>requestWake</c>) → the same events
/// thread → the device's wake GPE status bit is set.</item>
/// </list>
/// Each sample is one event, timed from the device's call to the bit, spinning on the GPE
/// status register (a wake after the entry has rested <see cref="SettleTime"/>, as a real one
/// comes long after it); the reference is `bench exits`' port write (exit → bus → device → re-entry)
/// on its own machine. It needs no interrupt delivery, so it runs on any KVM, PVM included.
/// </summary>
public static class DeviceEventBenchmark
{
    private const int Slot = 1;

    /// <summary>How long each low-power entry rests before the device wakes.</summary>
    public static readonly TimeSpan SettleTime = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    /// <summary>Runs <paramref name="count"/> samples of each event against <paramref name="exits"/> plain exits.</summary>
    /// <param name="kvm">The host's KVM.</param>
    /// <param name="device">An assigned device with an ACPI notify channel and low power with wakeup.</param>
    /// <param name="notify">Makes the device send one code on its notify channel.</param>
    /// <param name="requestWake">Makes the device wake itself; false when it was not in low power.</param>
    /// <param name="count">Samples of each event.</param>
    /// <param name="exits">Port writes for the reference.</param>
    public static DeviceEventBenchmarkResult Run(KvmSystem kvm, VfioPciFunction device, Action<byte> notify, Func<bool> requestWake, int count, uint exits = 20000)
    {
        ArgumentNullException.ThrowIfNull(kvm);
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(notify);
        ArgumentNullException.ThrowIfNull(requestWake);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        if (!device.HasAcpiNotify)
        {
            throw new InvalidOperationException($"{device.Backend} device '{device.Id}' has no ACPI notify channel (IRQ index 5)");
        }
        ExitBenchmarkResult reference = ExitBenchmark.Run(kvm, exits);

        BuiltMachine? built = null;
        BuiltMachine Build()
        {
            built = MachineBuilder.BuildBare(kvm, new MachineConfig
            {
                MemoryBytes = 4UL << 20,
                InKernelIrqchip = true,
                PciFunctions = [new PciAttachment(device, Slot)],
            });
            // A guest that halts in KVM until the loop stops it.
            X86.LongModeSetup.WriteTables(built.Machine.Memory);
            built.Machine.Memory.Write(new Memory.GuestAddress(0x10000), [0xf4, 0xeb, 0xfd]);
            X86.LongModeSetup.StartAt(built.Machine.Vcpus[0].Vcpu, new Memory.GuestAddress(0x10000), stack: 0x8000);
            return built;
        }
        using var loop = new ControlLoop(Build, new VmDescription(1, 4UL << 20, null, null), new ControlLoopOptions());
        loop.Start();
        try
        {
            // The loop answers once it has built and started the machine.
            if (!SpinWait.SpinUntil(() => Volatile.Read(ref built) is not null, s_timeout) || !loop.SendAsync(new GetVmInfo()).Wait(s_timeout))
            {
                throw new InvalidOperationException("the benchmark machine did not start");
            }
            DevicePowerSlot slot = built!.DevicePowerSlots.Single();
            AcpiPmDevice pm = built.PowerManagement;
            var notifyUs = new List<double>(count);
            var wakeUs = new List<double>(count);
            var deviceWakeUs = new List<double>(count);
            Span<byte> popped = stackalloc byte[2];
            // One warm-up of each, then the samples.
            for (int i = 0; i <= count; i++)
            {
                long start = Stopwatch.GetTimestamp();
                notify((byte)(0x80 + (i & 0x3f)));
                WaitForGpe(pm, slot.Device.NotifyGpe, "notify");
                double us = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
                slot.Device.Read(SlotPowerDevice.NotifyOffset, popped);
                ClearGpe(pm, slot.Device.NotifyGpe);
                if (i > 0)
                {
                    notifyUs.Add(us);
                }
            }
            for (int i = 0; i <= count; i++)
            {
                slot.Device.Write(SlotPowerDevice.CommandOffset, [(byte)SlotPowerCommand.EnableWake]);
                slot.Device.Write(SlotPowerDevice.CommandOffset, [(byte)SlotPowerCommand.PowerOff]);
                if (device.PowerState != "low-power")
                {
                    throw new InvalidOperationException($"{device.Backend} device '{device.Id}' did not enter low power");
                }
                // A device wakes long after it entered low power: let the entry settle (the
                // events thread back in its wait, the mapped areas out) before it does.
                Thread.Sleep(SettleTime);
                long start = Stopwatch.GetTimestamp();
                if (!requestWake())
                {
                    throw new InvalidOperationException($"{device.Backend} device '{device.Id}' was not in low power when asked to wake");
                }
                // The device's own work (the sample server puts its BAR files back, then signals
                // the eventfd last) is not the VMM's: time from its return.
                long signalled = Stopwatch.GetTimestamp();
                WaitForGpe(pm, slot.Device.WakeGpe, "wake");
                double us = Stopwatch.GetElapsedTime(signalled).TotalMicroseconds;
                double deviceUs = Stopwatch.GetElapsedTime(start, signalled).TotalMicroseconds;
                ClearGpe(pm, slot.Device.WakeGpe);
                slot.Device.Write(SlotPowerDevice.CommandOffset, [(byte)SlotPowerCommand.PowerOn]);
                if (i > 0)
                {
                    wakeUs.Add(us);
                    deviceWakeUs.Add(deviceUs);
                }
            }
            return new DeviceEventBenchmarkResult(reference.MicrosecondsPerExit, LatencySummary.Of(notifyUs), LatencySummary.Of(wakeUs), LatencySummary.Of(deviceWakeUs));
        }
        finally
        {
            loop.SendAsync(new ShutdownVm(force: true)).Wait(s_timeout);
            loop.Completion.Wait(s_timeout);
        }
    }

    private static void WaitForGpe(AcpiPmDevice pm, int gpe, string what)
    {
        Span<byte> status = stackalloc byte[1];
        long deadline = Stopwatch.GetTimestamp() + (long)(s_timeout.TotalSeconds * Stopwatch.Frequency);
        ulong offset = (ulong)(AcpiPmDevice.Gpe0Offset + (gpe / 8));
        while (true)
        {
            pm.Read(offset, status);
            if ((status[0] & (1 << (gpe % 8))) != 0)
            {
                return;
            }
            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new InvalidOperationException($"the {what} GPE ({gpe}) was not raised within {s_timeout.TotalSeconds} s");
            }
            Thread.SpinWait(20);
        }
    }

    private static void ClearGpe(AcpiPmDevice pm, int gpe) =>
        pm.Write((ulong)(AcpiPmDevice.Gpe0Offset + (gpe / 8)), [(byte)(1 << (gpe % 8))]);
}
